package io.crmlake.cli;

import static org.apache.spark.sql.functions.col;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.Job;
import io.crmlake.publish.EmbeddedServer;
import io.crmlake.publish.PublishJob;
import io.crmlake.publish.PublishResult;
import io.crmlake.publish.PublishSettings;
import io.crmlake.publish.PublishTables;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    description = {
      "Publish one scored row per customer for the CRM, the action lists and the serving database.",
      "Merges gold.customer_scores (Delta MERGE: changed rows updated, new customers inserted,",
      "customers out of scope flagged), snapshots it into gold.customer_scores_history, writes",
      "gold.segment_migration, gold.segment_summary, gold.retention_targets, gold.winback_targets",
      "and gold.cross_sell_targets, then loads them (with association_rules and",
      "product_recommendations) into PostgreSQL: publish.serving.url, or the embedded server",
      "(bin/crmlake serve-db). The password comes only from the environment variable named by",
      "publish.serving.password-env. Settings: publish.*."
    })
final class PublishCommand extends JobCommand<PublishResult> {
  @Option(
      names = "--allow-missing",
      description =
          "Publish even when churn, clv or baskets tables are missing: their columns stay empty.")
  boolean allowMissing;

  @Option(
      names = "--export",
      paramLabel = "PATH",
      description = "Also write the customers in scope under PATH (publish.export.path).")
  String export;

  @Option(
      names = "--format",
      paramLabel = "csv|parquet",
      description = "Export format (publish.export.format, default csv).")
  String format;

  @Option(
      names = "--columns",
      split = ",",
      paramLabel = "COL",
      description = "Export only these columns of gold.customer_scores (publish.export.columns).")
  List<String> columns;

  @Override
  List<String> overrides() {
    List<String> out = new ArrayList<>();
    if (allowMissing) {
      out.add("publish.allow-missing=true");
    }
    if (export != null) {
      out.add("publish.export.path=" + export);
    }
    if (format != null) {
      out.add("publish.export.format=" + format);
    }
    if (columns != null) {
      out.add("publish.export.columns=[" + String.join(",", columns) + "]");
    }
    return out;
  }

  @Override
  Job<PublishResult> job(CrmlakeConfig config) {
    return new PublishJob(PublishSettings.from(config), System.getenv());
  }

  @Override
  void report(Lake lake, PublishResult r) {
    System.out.printf(
        "publish: %d customers in scope as of %s (churn scores as of %s, CLV to %s)%n",
        r.customers(),
        r.asOfDate(),
        r.churnAsOfDate().map(String::valueOf).orElse("-"),
        r.clvObservationEnd().map(String::valueOf).orElse("-"));
    if (!r.missingInputs().isEmpty()) {
      System.out.println("  missing, their columns left empty: " + r.missingInputs());
    }
    r.merge()
        .ifPresent(
            m ->
                System.out.printf(
                    "  gold.customer_scores (Delta version %d): %d inserted, %d updated, %d"
                        + " flagged out of scope, %d unchanged%n",
                    m.version(), m.inserted(), m.updated(), m.flagged(), m.unchanged()));
    System.out.printf(
        "  segment migration since %s: %d class moves%n",
        r.previousAsOfDate().map(String::valueOf).orElse("(first snapshot)"), r.migrations());
    System.out.printf(
        "  action lists: retention %d, win-back %d, cross-sell %d%n",
        r.retentionTargets(), r.winbackTargets(), r.crossSellTargets());
    r.serving()
        .ifPresent(
            s ->
                System.out.printf(
                    "  serving database: %d rows by %s in %.1f s (%.0f rows/s): %s%n",
                    s.rows(), s.method(), s.millis() / 1000.0, s.rowsPerSecond(), s.tables()));
    r.exportPath().ifPresent(p -> System.out.println("  export: " + p));
    printValueClasses(lake, r.asOfDate());
  }

  /** The as-of date's value classes from gold.segment_summary, by revenue. */
  private static void printValueClasses(Lake lake, java.time.LocalDate asOf) {
    ResultPrinter.print(
        lake.read(PublishTables.SEGMENT_SUMMARY)
            .where(
                col("as_of_date")
                    .equalTo(java.sql.Date.valueOf(asOf))
                    .and(col("dimension").equalTo("value_class")))
            .orderBy(col("revenue").desc())
            .selectExpr(
                "segment AS value_class",
                "customers",
                "round(revenue_share, 3) AS revenue_share",
                "round(mean_churn_probability, 3) AS mean_churn",
                "round(total_clv, 2) AS total_clv"),
        ResultPrinter.Format.TABLE,
        20,
        System.out);
  }

  /** How to reach the serving database, for the closing lines of publish, pipeline and demo. */
  static void printConnection(CrmlakeConfig config) {
    PublishSettings s = PublishSettings.from(config);
    if (!s.serving().enabled()) {
      return;
    }
    if (s.serving().url().isPresent()) {
      System.out.println(
          "Serving database: "
              + s.serving().url().get()
              + " schema "
              + s.serving().schema()
              + " (user "
              + s.serving().user()
              + ", password from $"
              + s.serving().passwordEnv()
              + ")");
      return;
    }
    EmbeddedServer.status(s.serving().embeddedDir())
        .ifPresent(
            r -> {
              System.out.println(
                  "Serving database (embedded PostgreSQL, schema " + s.serving().schema() + "):");
              System.out.println(
                  "  "
                      + r.psql()
                      + " -c \"SELECT * FROM "
                      + s.serving().schema()
                      + ".customer_scores LIMIT 5\"");
              System.out.println("  JDBC: " + r.jdbcUrl() + "  (stop: bin/crmlake serve-db stop)");
            });
  }
}
