package io.crmlake.bench;

import io.crmlake.baskets.BasketMiner;
import io.crmlake.baskets.BasketsJob;
import io.crmlake.baskets.BasketsSettings;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.run.JobRunner;
import io.crmlake.common.spark.SparkSessions;
import io.crmlake.ingest.IngestTables;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.fpm.FPGrowth;
import org.apache.spark.ml.fpm.FPGrowthModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Benchmark (bench/baskets.sh, not a test): the whole baskets job on a lake, then a bare MLlib
 * FPGrowth.fit + associationRules on the same baskets in the same JVM, and their ratio.
 */
public final class BasketsBench {
  public static void main(String[] args) {
    Path home = Path.of(System.getProperty("crmlake.home", ".")).toAbsolutePath();
    CrmlakeConfig config =
        CrmlakeConfig.load("conf/local.conf", home, List.of("lake.root=" + args[0]));
    SparkSession spark = SparkSessions.create(config, "bench-baskets");
    Lake lake = new Lake(spark, config.lake());
    BasketsSettings s = BasketsSettings.from(config);

    long t0 = System.nanoTime();
    JobRunner.run(lake, config, new BasketsJob(s));
    double jobSecs = (System.nanoTime() - t0) / 1e9;
    Object phases =
        lake.read(JobRunLog.JOB_RUNS)
            .where("job = 'baskets' AND status = 'SUCCEEDED'")
            .orderBy(org.apache.spark.sql.functions.col("started_at").desc())
            .first()
            .getAs("phase_ms");

    Dataset<Row> baskets =
        BasketMiner.baskets(lake.read(IngestTables.TRANSACTIONS), s).select("items").cache();
    long n = baskets.count();
    long t1 = System.nanoTime();
    FPGrowthModel model =
        new FPGrowth()
            .setItemsCol("items")
            .setMinSupport(s.minSupport())
            .setMinConfidence(s.minConfidence())
            .fit(baskets);
    long itemsets = model.freqItemsets().count();
    long rules = model.associationRules().count();
    double bareSecs = (System.nanoTime() - t1) / 1e9;

    System.out.printf(
        "baskets=%d itemsets=%d rules=%d%n"
            + "crmlake baskets job (silver -> 3 gold tables): %.1f s"
            + " (phases in ms: %s)%n"
            + "bare FPGrowth.fit + freqItemsets + associationRules on cached baskets: %.1f s%n"
            + "ratio job / bare: %.2f%n",
        n, itemsets, rules, jobSecs, phases, bareSecs, jobSecs / bareSecs);
    spark.stop();
  }
}
