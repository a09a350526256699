package io.crmlake.cli;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.format_number;
import static org.apache.spark.sql.functions.lit;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Tables;
import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.RunContext;
import io.crmlake.segments.SegmentsJob;
import io.crmlake.segments.SegmentsSettings;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(
    name = "segments",
    mixinStandardHelpOptions = true,
    description = {
      "Segment customers: RFM scores and classes, value pyramid, KMeans clusters.",
      "Writes gold.customer_features, gold.customer_segments, gold.segment_profiles and",
      "gold.cluster_selection for one as-of date. Settings: segments.* (as-of, rfm,",
      "schemes, pyramid, kmeans)."
    })
final class SegmentsCommand extends JobCommand<SegmentsSettings> {
  @Override
  String job() {
    return "segments";
  }

  @Override
  SegmentsSettings settings(CrmlakeConfig config) {
    return SegmentsSettings.from(config);
  }

  @Override
  JobResult execute(Lake lake, SegmentsSettings settings, RunContext ctx) {
    return new SegmentsJob(lake, settings).run(ctx);
  }

  @Override
  void report(Lake lake, JobResult r, SegmentsSettings s) {
    summary(lake, r.metrics());
  }

  /** The run's figures and the size and revenue share of every class, tier and cluster. */
  static void summary(Lake lake, Map<String, String> m) {
    System.out.printf("segments: %s customers as of %s%n", m.get("customers"), m.get("as_of_date"));
    if (m.containsKey("silhouette")) {
      System.out.printf(
          "  KMeans: chose K = %s (silhouette %s; best per K: %s) on %s customers; model %s%n",
          m.get("k"),
          m.get("silhouette"),
          m.get("silhouette_by_k"),
          m.get("selection_sample"),
          m.get("model_version"));
    } else {
      System.out.printf(
          "  KMeans: K = %s from saved model %s%n", m.get("k"), m.get("model_version"));
    }
    if (!m.getOrDefault("rfm_warnings", "").isEmpty()) {
      System.out.println("  warning: " + m.get("rfm_warnings"));
    }
    var profiles =
        lake.read(Tables.SEGMENT_PROFILES)
            .where(col("as_of_date").equalTo(lit(java.sql.Date.valueOf(m.get("as_of_date")))))
            .orderBy(col("dimension"), col("revenue").desc())
            .select(
                col("dimension"),
                col("segment"),
                col("customers"),
                format_number(col("customer_share").multiply(100), 1).as("customers_%"),
                format_number(col("revenue_share").multiply(100), 1).as("revenue_%"),
                format_number(col("mean_recency_days"), 0).as("mean_recency_days"),
                format_number(col("mean_frequency"), 1).as("mean_frequency"),
                format_number(col("mean_monetary"), 2).as("mean_monetary"));
    ResultPrinter.print(profiles, ResultPrinter.Format.TABLE, 1000, System.out);
    System.out.printf(
        "  time: features %s ms, RFM + pyramid %s ms, KMeans %s ms, writes + profiles %s ms%n",
        m.get("features_ms"), m.get("rfm_ms"), m.get("kmeans_ms"), m.get("write_ms"));
  }
}
