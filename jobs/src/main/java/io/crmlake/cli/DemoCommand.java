package io.crmlake.cli;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.spark.SparkSessions;
import io.crmlake.generate.GenerateSettings;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Generate a sample lake and run every job on it.",
      "Runs generate, ingest, baskets, segments, clv and churn, then prints the tables and sample",
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
    // Every job's settings are validated before Spark starts.
    List<Map.Entry<String, Consumer<Lake>>> steps =
        List.of(
            Map.entry(
                "generate a sample lake ("
                    + GenerateSettings.from(config).customers()
                    + " customers)",
                new GenerateCommand().prepare(config)),
            Map.entry(
                "ingest landing files into bronze and silver", new IngestCommand().prepare(config)),
            Map.entry("mine market baskets (FP-Growth)", new BasketsCommand().prepare(config)),
            Map.entry(
                "segment customers (RFM, value classes, pyramid, KMeans)",
                new SegmentsCommand().prepare(config)),
            Map.entry(
                "customer lifetime value (BG/NBD + Gamma-Gamma)", new ClvCommand().prepare(config)),
            Map.entry(
                "churn: train, evaluate and score (point-in-time features, MLlib)",
                new ChurnCommand().prepare(config)));
    return SparkSessions.with(config, "demo", spark -> demo(spark, config, steps));
  }

  private int demo(
      SparkSession spark, CrmlakeConfig config, List<Map.Entry<String, Consumer<Lake>>> steps) {
    Lake lake = new Lake(spark, config.lake());
    for (int i = 0; i < steps.size(); i++) {
      step((i + 1) + "/" + steps.size() + " " + steps.get(i).getKey());
      steps.get(i).getValue().accept(lake);
    }

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
