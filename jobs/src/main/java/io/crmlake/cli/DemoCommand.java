package io.crmlake.cli;

import io.crmlake.baskets.BasketsJob;
import io.crmlake.baskets.BasketsSettings;
import io.crmlake.clv.ClvJob;
import io.crmlake.clv.ClvSettings;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.run.RunContext;
import io.crmlake.common.spark.SparkSessions;
import io.crmlake.generate.GenerateSettings;
import io.crmlake.generate.LakeGenerator;
import io.crmlake.ingest.IngestJob;
import io.crmlake.ingest.IngestSettings;
import io.crmlake.segments.SegmentsJob;
import io.crmlake.segments.SegmentsSettings;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Generate a sample lake and run every job on it.",
      "Runs generate, ingest, baskets, segments and clv, then prints the tables and sample",
      "queries.",
      "Safe to re-run: the second run changes no row count."
    })
final class DemoCommand implements Callable<Integer> {
  static final String SAMPLE_QUERY =
      "SELECT order_date, count(DISTINCT order_id) AS orders, count(*) AS lines,"
          + " round(sum(amount), 2) AS revenue FROM silver.transactions"
          + " GROUP BY order_date ORDER BY order_date DESC LIMIT 5";

  static final String RULES_QUERY =
      "SELECT antecedent_names, consequent_name, round(support, 4) AS support,"
          + " round(confidence, 3) AS confidence, round(lift, 2) AS lift FROM gold.association_rules"
          + " WHERE NOT is_redundant ORDER BY lift DESC LIMIT 8";

  @Mixin CommonOptions common;

  @Override
  public Integer call() {
    CrmlakeConfig config = common.load(List.of());
    GenerateSettings generate = GenerateSettings.from(config);
    IngestSettings ingest = IngestSettings.from(config, List.of());
    BasketsSettings baskets = BasketsSettings.from(config);
    SegmentsSettings segments = SegmentsSettings.from(config);
    ClvSettings clv = ClvSettings.from(config);
    return SparkSessions.with(
        config, "demo", spark -> demo(spark, config, generate, ingest, baskets, segments, clv));
  }

  private int demo(
      SparkSession spark,
      CrmlakeConfig config,
      GenerateSettings generate,
      IngestSettings ingest,
      BasketsSettings baskets,
      SegmentsSettings segments,
      ClvSettings clv) {
    Lake lake = new Lake(spark, config.lake());
    step("1/5 generate a sample lake (" + generate.customers() + " customers)");
    JobResult g =
        JobRunLog.run(
            lake,
            new RunContext(spark, "generate", config),
            ctx -> new LakeGenerator(spark, generate).run(ctx));
    System.out.println(
        g.metrics().containsKey("skipped")
            ? "   already generated with these settings: " + generate.output()
            : "   " + g.outputRows() + " order lines under " + generate.output() + "/orders");
    step("2/5 ingest landing files into bronze and silver");
    IngestJob job = new IngestJob(lake, ingest);
    JobResult i = JobRunLog.run(lake, new RunContext(spark, "ingest", config), job::run);
    System.out.printf(
        "   read %d = stored %d + duplicates %d + rejected %d%n",
        i.inputRows(), i.outputRows(), i.skippedRows(), i.quarantinedRows());

    step("3/5 mine market baskets (FP-Growth)");
    JobResult b =
        JobRunLog.run(
            lake, new RunContext(spark, "baskets", config), new BasketsJob(lake, baskets)::run);
    System.out.printf(
        "   %s baskets: %s frequent itemsets, %s rules, %s recommendations%n",
        b.metrics().get("baskets"),
        b.metrics().get("itemsets"),
        b.metrics().get("rules"),
        b.metrics().get("recommendations"));

    step("4/5 segment customers (RFM, value classes, pyramid, KMeans)");
    JobResult s =
        JobRunLog.run(
            lake, new RunContext(spark, "segments", config), new SegmentsJob(lake, segments)::run);
    SegmentsCommand.summary(lake, s.metrics());

    step("5/5 customer lifetime value (BG/NBD + Gamma-Gamma)");
    JobResult c =
        JobRunLog.run(lake, new RunContext(spark, "clv", config), new ClvJob(lake, clv)::run);
    ClvCommand.summary(lake, c.metrics(), clv);

    step("tables in the lake " + config.lake().root());
    lake.registerAll();
    ResultPrinter.print(TablesCommand.describe(lake), ResultPrinter.Format.TABLE, 1000, System.out);
    step("a sample query");
    System.out.println(SAMPLE_QUERY);
    ResultPrinter.print(spark.sql(SAMPLE_QUERY), ResultPrinter.Format.TABLE, 100, System.out);
    System.out.println();
    step("the strongest association rules");
    System.out.println(RULES_QUERY);
    ResultPrinter.print(spark.sql(RULES_QUERY), ResultPrinter.Format.TABLE, 100, System.out);
    System.out.println();
    System.out.println("Query the lake yourself:");
    System.out.println("  bin/crmlake sql \"SELECT * FROM silver.transactions LIMIT 10\"");
    System.out.println(
        "  bin/crmlake sql \"SELECT reason_code, count(*) FROM silver.transactions_rejected"
            + " GROUP BY reason_code\"");
    System.out.println("  bin/crmlake sql        (interactive prompt)");
    System.out.println("  bin/crmlake tables");
    return 0;
  }

  private static void step(String s) {
    System.out.println();
    System.out.println("== " + s);
  }
}
