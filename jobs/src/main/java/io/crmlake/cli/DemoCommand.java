package io.crmlake.cli;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.spark.SparkSessions;
import io.crmlake.generate.GenerateSettings;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.ToIntFunction;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Generate a sample lake and run the pipeline on it.",
      "Runs generate, then ingest, baskets, segments, churn, clv and publish (the serving",
      "database included), then prints a summary and how to connect.",
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

  static final String CLASSES_QUERY =
      "SELECT value_class, count(*) AS customers, round(sum(net_spend), 2) AS net_spend,"
          + " round(avg(churn_probability), 3) AS mean_churn, round(sum(clv), 2) AS total_clv"
          + " FROM gold.customer_scores WHERE in_scope GROUP BY value_class ORDER BY net_spend DESC";

  static final String RISK_QUERY =
      "SELECT coalesce(risk_band, '(not scored)') AS risk_band, count(*) AS customers,"
          + " round(sum(clv), 2) AS clv FROM gold.customer_scores WHERE in_scope"
          + " GROUP BY 1 ORDER BY customers DESC";

  static final String LISTS_QUERY =
      "SELECT 'retention' AS list, count(*) AS customers FROM gold.retention_targets"
          + " UNION ALL SELECT 'winback', count(*) FROM gold.winback_targets"
          + " UNION ALL SELECT 'cross_sell', count(*) FROM gold.cross_sell_targets";

  @Mixin CommonOptions common;

  @Override
  public Integer call() {
    CrmlakeConfig config = common.load(List.of());
    // Every job's settings are validated before Spark starts.
    ToIntFunction<Lake> generate = new GenerateCommand().prepare(config);
    List<PipelineCommand.Step> steps = PipelineCommand.steps(config, null);
    return SparkSessions.with(config, "demo", spark -> demo(spark, config, generate, steps));
  }

  private int demo(
      SparkSession spark,
      CrmlakeConfig config,
      ToIntFunction<Lake> generate,
      List<PipelineCommand.Step> steps) {
    Lake lake = new Lake(spark, config.lake());
    step("generate a sample lake (" + GenerateSettings.from(config).customers() + " customers)");
    generate.applyAsInt(lake);
    List<PipelineCommand.Outcome> outcomes = PipelineCommand.run(lake, steps, "pipeline ");
    int code = PipelineCommand.printSummary(outcomes);
    if (code == Main.FAILED || code == Main.LOCKED) {
      return code;
    }

    step("tables in the lake " + config.lake().root());
    lake.registerAll();
    ResultPrinter.print(TablesCommand.describe(lake), ResultPrinter.Format.TABLE, 1000, System.out);
    for (String[] q :
        new String[][] {
          {"customers per value class", CLASSES_QUERY},
          {"the strongest association rules", RULES_QUERY},
          {"churn risk bands", RISK_QUERY},
          {"action lists", LISTS_QUERY},
          {"a sample query", SAMPLE_QUERY}
        }) {
      step(q[0]);
      System.out.println(q[1]);
      ResultPrinter.print(spark.sql(q[1]), ResultPrinter.Format.TABLE, 100, System.out);
    }
    System.out.printf(
        "Total expected CLV of the customers in scope: %.2f%n",
        spark
            .sql("SELECT coalesce(sum(clv), 0) FROM gold.customer_scores WHERE in_scope")
            .first()
            .getDouble(0));
    System.out.println();
    System.out.println("Query the lake yourself:");
    System.out.println("  bin/crmlake sql \"SELECT * FROM gold.customer_scores LIMIT 10\"");
    System.out.println(
        "  bin/crmlake sql \"SELECT reason_code, count(*) FROM silver.transactions_rejected"
            + " GROUP BY reason_code\"");
    System.out.println("  bin/crmlake sql        (interactive prompt)");
    System.out.println("  bin/crmlake tables");
    System.out.println("  bin/crmlake report     (an HTML report of this run, with charts)");
    System.out.println("  jupyter notebook notebooks/     (notebooks on the serving database)");
    PublishCommand.printConnection(config);
    return 0;
  }

  private static void step(String s) {
    System.out.println();
    System.out.println("== " + s);
  }
}
