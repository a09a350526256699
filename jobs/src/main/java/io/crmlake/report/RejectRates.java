package io.crmlake.report;

import io.crmlake.report.Report.Grid;
import io.crmlake.report.Report.Note;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;

/**
 * The reject rate of an ingest run against the runs before it. The rate jumped when it is above
 * {@link #JUMP} times the median of the earlier runs and above it by at least {@link #JUMP_POINTS}
 * percentage points.
 *
 * @param grid reject rate in % per run up to the reported one, for the chart
 * @param earlier the rates of the runs before the reported one
 * @param current the reported run's rate, or null when it is not in the history
 */
record RejectRates(Grid grid, List<Double> earlier, Double current) {
  /** The reject rate of a run is flagged above this multiple of the median of earlier runs. */
  static final double JUMP = 3.0;

  /** … and above the median by at least this many percentage points. */
  static final double JUMP_POINTS = 0.5;

  /**
   * The rates of {@code history} (rows of run id, rows read, rows rejected; oldest first) up to and
   * including run {@code ingestRun}.
   */
  static RejectRates of(List<Row> history, String ingestRun) {
    Grid rates = Grid.of("reject-rate", List.of("series", "run", "reject rate %"));
    List<Double> earlier = new ArrayList<>();
    for (int i = 0; i < history.size(); i++) {
      Row r = history.get(i);
      double rate = 100.0 * r.getLong(2) / r.getLong(1);
      rates.add("reject rate", i + 1, rate);
      if (r.getString(0).equals(ingestRun)) {
        return new RejectRates(rates, earlier, rate);
      }
      earlier.add(rate);
    }
    return new RejectRates(rates, earlier, null);
  }

  /** Whether the reported run's rate jumped; never for the first run. */
  boolean jumped() {
    if (current == null || earlier.isEmpty()) {
      return false;
    }
    double median = Blocks.median(earlier);
    return current > JUMP * median && current - median >= JUMP_POINTS;
  }

  /** A note on the reported run's rate (red when it jumped); none when the run has no rate. */
  List<Note> verdict() {
    if (current == null) {
      return List.of();
    }
    if (earlier.isEmpty()) {
      return List.of(
          new Note(
              String.format(
                  Locale.ROOT, "Reject rate %.2f %% (the first run: no history yet).", current),
              false));
    }
    boolean jump = jumped();
    return List.of(
        new Note(
            String.format(
                Locale.ROOT,
                "Reject rate of this run %.2f %% against a median of %.2f %% over %d earlier"
                    + " runs%s",
                current,
                Blocks.median(earlier),
                earlier.size(),
                jump ? ": JUMPED — look at the reasons and files above." : ": normal."),
            jump));
  }
}
