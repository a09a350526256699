package io.crmlake.baskets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.testing.DatasetAssert;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.testing.Cli;
import io.crmlake.testing.Jobs;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The baskets job on a generated lake finds the planted patterns and writes all gold tables. */
class BasketsJobTest extends SparkTestBase {
  @TempDir Path dir;

  @Test
  void findsThePlantedRulesAndWritesAllGoldTables() {
    CrmlakeConfig config =
        config(
            dir,
            "generate.customers=1000",
            "generate.start=2024-01-01",
            "generate.end=2024-09-30",
            "generate.customers-per-partition=500");
    Lake lake = lake(config);
    Jobs.generate(lake, config);
    Jobs.ingest(lake, config, "conf/sources/sample.conf");

    Cli.Result r = Cli.run("baskets", "--lake", dir.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("min support 0.01 = "), r.out());

    Set<String> strong = new HashSet<>();
    for (Row row :
        spark
            .sql(
                "SELECT concat_ws('+', antecedent), consequent FROM gold.association_rules"
                    + " WHERE lift > 5 AND NOT is_redundant")
            .collectAsList()) {
      strong.add(row.getString(0) + "->" + row.getString(1));
    }
    // The planted complements (Catalogue): Diapers -> Baby Wipes, Coffee Beans -> Coffee
    // Filters, Tortilla Chips -> Salsa Dip; and the bundles' pairs.
    for (String planted :
        new String[] {
          "P0007->P0008", "P0009->P0010", "P0011->P0012", "P0001->P0002", "P0004->P0005"
        }) {
      assertTrue(strong.contains(planted), planted + " not among " + strong);
    }
    Row names =
        spark
            .sql(
                "SELECT consequent_name, antecedent_names FROM gold.association_rules"
                    + " WHERE rule_id IS NOT NULL AND consequent = 'P0008'"
                    + " AND concat_ws('+', antecedent) = 'P0007'")
            .first();
    assertEquals("Baby Wipes", names.getString(0));
    assertEquals("[Diapers]", names.getList(1).toString());

    Row recs =
        spark
            .sql(
                "SELECT count(*), count(DISTINCT customer_id), max(rank)"
                    + " FROM gold.product_recommendations")
            .first();
    assertTrue(recs.getLong(0) > 0);
    assertTrue(recs.getInt(2) <= 5);
    assertTrue(lake.read(BasketsTables.FREQUENT_ITEMSETS).count() > 10);
    Row run =
        lake.read(JobRunLog.JOB_RUNS)
            .where("job = 'baskets' AND status = 'SUCCEEDED'")
            .select("metrics", "phase_ms")
            .first();
    java.util.Map<String, String> metrics = run.getJavaMap(0);
    assertTrue(Long.parseLong(metrics.get("rules")) > 5, metrics.toString());
    assertEquals("0", metrics.get("capped_baskets"), "short baskets: exact, nothing capped");
    java.util.Map<String, Long> phases = run.getJavaMap(1);
    assertTrue(phases.containsKey("FP-Growth and rules"), phases.toString());
    assertTrue(phases.containsKey("write gold.association_rules"), phases.toString());

    // The refresh policy (baskets.retrain-after-days = 7): a second run the same day reuses the
    // committed rules; it rewrites only the recommendations, and they equal the first run's.
    String version = lake.read(BasketsTables.ASSOCIATION_RULES).first().getAs("model_version");
    long recsVersion = deltaVersion(lake, BasketsTables.PRODUCT_RECOMMENDATIONS);
    long rulesVersion = deltaVersion(lake, BasketsTables.ASSOCIATION_RULES);
    long itemsetsVersion = deltaVersion(lake, BasketsTables.FREQUENT_ITEMSETS);
    Cli.Result again = Cli.run("baskets", "--lake", dir.toString());
    assertEquals(0, again.code(), again.err());
    assertTrue(
        again
            .out()
            .contains(
                "association rules: reuse model "
                    + version
                    + " ("
                    + Jobs.ageToday(version)
                    + " days old"),
        again.out());
    assertEquals(rulesVersion, deltaVersion(lake, BasketsTables.ASSOCIATION_RULES));
    assertEquals(itemsetsVersion, deltaVersion(lake, BasketsTables.FREQUENT_ITEMSETS));
    assertEquals(recsVersion + 1, deltaVersion(lake, BasketsTables.PRODUCT_RECOMMENDATIONS));
    DatasetAssert.assertSameRows(
        spark
            .read()
            .format("delta")
            .option("versionAsOf", recsVersion)
            .load(lake.path(BasketsTables.PRODUCT_RECOMMENDATIONS)),
        lake.read(BasketsTables.PRODUCT_RECOMMENDATIONS));
    assertEquals(
        java.util.List.of(version),
        lake.read(BasketsTables.PRODUCT_RECOMMENDATIONS)
            .select("model_version")
            .distinct()
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList());
    java.util.Map<String, String> reused =
        lake.read(JobRunLog.JOB_RUNS)
            .where("job = 'baskets' AND status = 'SUCCEEDED'")
            .orderBy(org.apache.spark.sql.functions.col("started_at").desc())
            .first()
            .getJavaMap(lake.read(JobRunLog.JOB_RUNS).schema().fieldIndex("metrics"));
    assertEquals("false", reused.get("refresh_train"), reused.toString());
    assertEquals(version, reused.get("model_version"), reused.toString());

    // retrain-now mines again, under a new version.
    Cli.Result now =
        Cli.run("baskets", "--lake", dir.toString(), "--set", "baskets.retrain-now=true");
    assertEquals(0, now.code(), now.err());
    assertTrue(now.out().contains("association rules: train (baskets.retrain-now is set)"));
    String mined = lake.read(BasketsTables.ASSOCIATION_RULES).first().getAs("model_version");
    assertTrue(mined.compareTo(version) > 0, mined + " after " + version);

    // Rules mined with other settings are not reused: the run mines with the new ones.
    Cli.Result other =
        Cli.run("baskets", "--lake", dir.toString(), "--set", "baskets.min-confidence=0.5");
    assertEquals(0, other.code(), other.err());
    assertTrue(
        other.out().contains("were mined with level=product, min-support=0.01, min-confidence=0.3")
            && other
                .out()
                .contains(
                    "the baskets settings are now level=product, min-support=0.01,"
                        + " min-confidence=0.5"),
        other.out());
    assertEquals(
        0L,
        lake.read(BasketsTables.ASSOCIATION_RULES).where("confidence < 0.5").count(),
        "the rules of the new settings");
  }

  static long deltaVersion(Lake lake, io.crmlake.common.lake.Table t) {
    return io.delta.tables.DeltaTable.forPath(spark, lake.path(t))
        .history(1)
        .first()
        .<Long>getAs("version");
  }

  @Test
  void aSourceWithoutProductsSaysSo() {
    sharedData();
    CrmlakeConfig config = config(dir);
    Jobs.ingest(lake(config), config, "conf/sources/cdnow_sample.conf");
    Cli.Result r = Cli.run("baskets", "--lake", dir.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("product_id"), r.err());
    assertTrue(r.err().contains("CDNOW"), r.err());
  }
}
