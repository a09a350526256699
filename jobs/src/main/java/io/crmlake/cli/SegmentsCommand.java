package io.crmlake.cli;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.format_number;
import static org.apache.spark.sql.functions.lit;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.Job;
import io.crmlake.segments.SegmentsJob;
import io.crmlake.segments.SegmentsResult;
import io.crmlake.segments.SegmentsSettings;
import io.crmlake.segments.SegmentsTables;
import picocli.CommandLine.Command;

@Command(
    name = "segments",
    mixinStandardHelpOptions = true,
    description = {
      "Segment customers: RFM scores and classes, value pyramid, KMeans clusters.",
      "Writes gold.customer_features, gold.customer_segments, gold.segment_profiles,",
      "gold.cohort_retention and gold.cluster_selection for one as-of date. Settings:",
      "segments.* (as-of, rfm, schemes, pyramid, kmeans)."
    })
final class SegmentsCommand extends JobCommand<SegmentsResult> {
  @Override
  Job<SegmentsResult> job(CrmlakeConfig config) {
    return new SegmentsJob(SegmentsSettings.from(config));
  }

  /** The run's figures and the size and revenue share of every class, tier and cluster. */
  @Override
  void report(Lake lake, SegmentsResult r) {
    System.out.printf("segments: %d customers as of %s%n", r.customers(), r.asOfDate());
    r.training()
        .ifPresentOrElse(
            t ->
                System.out.printf(
                    "  KMeans: chose K = %d (silhouette %.4f; best per K: %s) on %d customers;"
                        + " model %s%n",
                    r.k(), t.silhouette(), t.silhouetteByK(), t.sample(), r.modelVersion()),
            () ->
                System.out.printf(
                    "  KMeans: K = %d from saved model %s%n", r.k(), r.modelVersion()));
    if (!r.rfmWarnings().isEmpty()) {
      System.out.println("  warning: " + r.rfmWarnings());
    }
    var profiles =
        lake.read(SegmentsTables.SEGMENT_PROFILES)
            .where(col("as_of_date").equalTo(lit(java.sql.Date.valueOf(r.asOfDate()))))
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
  }
}
