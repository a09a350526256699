package io.crmlake.report;

import static io.crmlake.report.Blocks.note;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.percentile_approx;
import static org.apache.spark.sql.functions.when;

import io.crmlake.clv.BgNbd;
import io.crmlake.clv.ClvTables;
import io.crmlake.report.Report.Block;
import io.crmlake.report.Report.Grid;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Customer lifetime value: the distribution of CLV ({@link #BINS} bins up to the 99th percentile,
 * the top 1 % in one), the full BG/NBD fit's expected purchases and P(alive) by frequency and
 * recency ({@link FrequencyRecency}), and the calibration fit against the holdout (mean purchases
 * per calibration frequency, cumulative purchases over the holdout). Reads the latest observation
 * end of {@code gold.clv}, and {@code gold.clv_models}, {@code gold.clv_validation} and {@code
 * gold.clv_tracking} of its model version.
 */
final class ClvSection implements ReportSection {
  static final int BINS = 25;

  @Override
  public String id() {
    return "clv";
  }

  @Override
  public String title() {
    return "Customer lifetime value";
  }

  @Override
  public String shows() {
    return "BG/NBD + Gamma-Gamma: the spread of CLV, expected purchases and P(alive) by frequency"
        + " and recency, and the calibration fit checked against the holdout.";
  }

  @Override
  public List<Block> blocks(ReportInputs in) {
    Dataset<Row> clv = in.latest(ClvTables.CLV, "observation_end");
    Optional<Stats> found = Stats.of(clv);
    if (found.isEmpty()) {
      return List.of(note("gold.clv has no customers."));
    }
    Stats stats = found.get();
    List<Block> blocks = new ArrayList<>();
    blocks.add(histogram(clv, stats.p99()));
    fullFit(in, stats.version())
        .ifPresent(bg -> blocks.addAll(FrequencyRecency.of(bg, stats).charts()));
    blocks.add(holdout(in, stats.version()));
    blocks.add(tracking(in, stats.version()));
    return blocks;
  }

  /**
   * Figures of the latest gold.clv snapshot.
   *
   * @param p99 the 99th percentile of CLV (at least 1e-9)
   * @param maxFrequency the most repeat purchases of a customer (read only when there is a fit)
   * @param t the longest customer age, in time units (likewise)
   * @param version the model version, horizon and time unit of its first row
   */
  record Stats(
      double p99, Double maxFrequency, Double t, String version, double horizon, String unit) {
    /** The figures, or none when the snapshot has no customers. */
    static Optional<Stats> of(Dataset<Row> clv) {
      Row s =
          clv.agg(
                  percentile_approx(col("clv"), lit(0.99), lit(10000)),
                  max("frequency"),
                  max("t"),
                  first("model_version"),
                  first("horizon"),
                  first("time_unit"),
                  count(lit(1)))
              .first();
      if (s.getLong(6) == 0) {
        return Optional.empty();
      }
      return Optional.of(
          new Stats(
              Math.max(s.getDouble(0), 1e-9),
              (Double) s.get(1),
              (Double) s.get(2),
              s.getString(3),
              s.getDouble(4),
              s.getString(5)));
    }
  }

  /** Customers per CLV bin of width p99 / {@link #BINS}; the last bin holds the top 1 %. */
  private static Block histogram(Dataset<Row> clv, double p99) {
    double width = p99 / BINS;
    Map<Integer, Long> counts = new TreeMap<>();
    for (Row r :
        Blocks.collect(
            clv.groupBy(least(floor(col("clv").divide(width)), lit(BINS)).cast("int").as("bin"))
                .count())) {
      counts.put(r.getInt(0), r.getLong(1));
    }
    Grid histogram = Grid.of("clv-histogram", List.of("CLV from", "customers"));
    for (int b = 0; b <= BINS; b++) {
      String label =
          b == BINS ? "≥ " + Report.format(p99) + " (top 1 %)" : Report.format(b * width);
      histogram.add(label, counts.getOrDefault(b, 0L));
    }
    return Charts.bars(
        "clv-histogram", "Distribution of CLV", "CLV", "customers", histogram, false);
  }

  /** The BG/NBD model of the full fit of {@code version}, if gold.clv_models has it. */
  private static Optional<BgNbd> fullFit(ReportInputs in, String version) {
    List<Row> params =
        in.read(ClvTables.CLV_MODELS)
            .where(
                col("model_version")
                    .equalTo(version)
                    .and(col("model").equalTo("bgnbd"))
                    .and(col("fit").equalTo("full")))
            .select("params")
            .limit(1)
            .collectAsList();
    if (params.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Double> p = params.get(0).getJavaMap(0);
    return Optional.of(new BgNbd(p.get("r"), p.get("alpha"), p.get("a"), p.get("b")));
  }

  /** Mean holdout purchases, actual and predicted, per calibration-period frequency group. */
  private static Block holdout(ReportInputs in, String version) {
    Grid holdout =
        Blocks.fill(
            Grid.of("holdout", List.of("calibration purchases", "actual", "predicted")),
            Blocks.collect(
                in.read(ClvTables.CLV_VALIDATION)
                    .where(
                        col("model_version")
                            .equalTo(version)
                            .and(col("frequency_group").notEqual("all")))
                    .orderBy(
                        when(col("frequency_group").equalTo("7+"), 99)
                            .otherwise(col("frequency_group").cast("int")))
                    .select("frequency_group", "actual_mean", "predicted_mean")));
    return Charts.bars(
        "holdout",
        "Holdout purchases per customer by calibration-period frequency",
        "calibration repeat purchases",
        "mean holdout purchases",
        holdout,
        false);
  }

  /** Cumulative repeat purchases over the holdout, actual and predicted, from 0. */
  private static Block tracking(ReportInputs in, String version) {
    List<Row> track =
        Blocks.collect(
            in.read(ClvTables.CLV_TRACKING)
                .where(col("model_version").equalTo(version))
                .orderBy("days_since"));
    Grid tracking = Grid.of("tracking", List.of("series", "days into the holdout", "purchases"));
    for (String s : new String[] {"actual", "predicted"}) {
      tracking.add(s, 0, 0.0);
      for (Row r : track) {
        tracking.add(s, r.getAs("days_since"), r.getAs(s + "_cumulative"));
      }
    }
    return Charts.lines(
        "tracking",
        "Cumulative repeat purchases over the holdout: actual vs predicted",
        "days after the calibration end",
        "repeat purchases",
        tracking,
        false);
  }
}
