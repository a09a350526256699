package io.crmlake.report;

import static io.crmlake.report.Blocks.note;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.crmlake.publish.PublishTables;
import io.crmlake.report.Report.Block;
import io.crmlake.report.Report.Grid;
import io.crmlake.segments.SegmentsTables;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * Segments: the share of customers and of revenue per value class, RFM segment, pyramid tier and
 * KMeans cluster (with the profiles of tiers and clusters), mean monetary value per R × F cell, and
 * the value-class moves since the previous snapshot. Reads the latest as-of date of {@code
 * gold.segment_profiles}, {@code gold.customer_segments} and {@code gold.segment_migration}.
 */
final class SegmentsSection implements ReportSection {
  /** The dimensions of gold.segment_profiles shown, each with its chart title. */
  private static final String[][] DIMENSIONS = {
    {"value_class", "Value classes: share of customers and of revenue"},
    {"rfm_segment", "RFM segments: share of customers and of revenue"},
    {"pyramid_tier", "Customer pyramid: share of customers and of revenue per tier"},
    {"cluster_label", "KMeans clusters: share of customers and of revenue"}
  };

  @Override
  public String id() {
    return "segments";
  }

  @Override
  public String title() {
    return "Segments";
  }

  @Override
  public String shows() {
    return "Who the customers are: value classes, RFM segments, the value pyramid, R×F cells,"
        + " KMeans clusters and moves since the previous snapshot.";
  }

  @Override
  public List<Block> blocks(ReportInputs in) {
    List<Block> blocks = new ArrayList<>(profiles(in));
    blocks.add(rfCells(in));
    blocks.add(migration(in));
    return blocks;
  }

  /** Per dimension a chart of shares; for pyramid tiers and clusters their profiles too. */
  private static List<Block> profiles(ReportInputs in) {
    // Classes by revenue; pyramid tiers and clusters from the highest mean spend down.
    List<Row> rows =
        Blocks.collect(
            in.latest(SegmentsTables.SEGMENT_PROFILES, "as_of_date")
                .orderBy(
                    col("dimension"),
                    when(
                            col("dimension").isin("pyramid_tier", "cluster_label"),
                            col("mean_monetary"))
                        .desc(),
                    desc("revenue"))
                .select(
                    "dimension",
                    "segment",
                    "customers",
                    "customer_share",
                    "revenue_share",
                    "mean_recency_days",
                    "mean_frequency",
                    "mean_monetary"));
    List<Block> blocks = new ArrayList<>();
    for (String[] d : DIMENSIONS) {
      String id = d[0].replace('_', '-');
      Grid shares = Grid.of(id, List.of("segment", "customers %", "revenue %"));
      Grid profile =
          Grid.of(
              id + "-profile",
              List.of(
                  "segment",
                  "customers",
                  "mean recency (days)",
                  "mean frequency",
                  "mean monetary"));
      for (Row r : rows) {
        if (r.getString(0).equals(d[0])) {
          shares.add(r.get(1), 100 * r.getDouble(3), 100 * r.getDouble(4));
          profile.add(r.get(1), r.get(2), r.get(5), r.get(6), r.get(7));
        }
      }
      if (!shares.rows().isEmpty()) {
        blocks.add(Charts.bars(id, d[1], "segment", "%", shares, true));
        if (d[0].equals("cluster_label") || d[0].equals("pyramid_tier")) {
          blocks.add(profile);
        }
      }
    }
    return blocks;
  }

  private static Block rfCells(ReportInputs in) {
    Grid rf =
        Blocks.fill(
            Grid.of("rf-cells", List.of("F score", "R score", "mean monetary", "customers")),
            Blocks.collect(
                in.latest(SegmentsTables.CUSTOMER_SEGMENTS, "as_of_date")
                    .groupBy("f_score", "r_score")
                    .agg(avg(col("monetary")).as("m"), count(lit(1)).as("n"))
                    .orderBy("f_score", "r_score")));
    List<String> scores = List.of("1", "2", "3", "4", "5");
    return Charts.heatmap(
        "rf-cells",
        "Mean monetary value per R × F cell",
        "frequency score",
        "recency score",
        "mean monetary",
        rf,
        scores,
        scores);
  }

  private static Block migration(ReportInputs in) {
    List<Row> moved =
        Blocks.collect(
            in.latest(PublishTables.SEGMENT_MIGRATION, "as_of_date")
                .where(col("dimension").equalTo("value_class"))
                .groupBy(
                    coalesce(col("to_segment"), lit("(departed)")),
                    coalesce(col("from_segment"), lit("(new)")))
                .count()
                .orderBy(desc("count")));
    if (moved.isEmpty()) {
      return note(
          "Segment migration: no earlier snapshot to compare with yet (publish a later as-of"
              + " date).");
    }
    return Charts.heatmap(
        "migration",
        "Value-class moves since the previous snapshot (customers)",
        "to",
        "from",
        "customers",
        Blocks.fill(Grid.of("migration", List.of("to", "from", "customers")), moved),
        null,
        null);
  }
}
