package io.crmlake.report;

import io.crmlake.report.Report.Block;
import io.crmlake.report.Report.Grid;
import io.crmlake.report.Report.Note;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * The run log: the jobs of the reported run with status, rows in and out, quarantined and duplicate
 * rows, and a bar chart of seconds per job; a red note for each failed job. Reads the job runs
 * {@link ReportedRun} took from {@code ops.job_runs} (no further query).
 */
final class RunLogSection implements ReportSection {
  @Override
  public String id() {
    return "runs";
  }

  @Override
  public String title() {
    return "Run log";
  }

  @Override
  public String shows() {
    return "The jobs of the latest pipeline run: status, rows in and out, time per job.";
  }

  @Override
  public List<Block> blocks(ReportInputs in) {
    Grid grid =
        Grid.of(
            "runs",
            List.of(
                "job",
                "run",
                "status",
                "started",
                "seconds",
                "input rows",
                "output rows",
                "quarantined",
                "duplicates"));
    Grid seconds = Grid.of("runs-seconds", List.of("job", "seconds"));
    List<Block> blocks = new ArrayList<>();
    for (Row r : in.run().jobs()) {
      Double s = seconds(r);
      grid.add(
          r.get(0),
          r.get(1),
          r.get(2),
          String.valueOf(r.get(3)),
          s,
          r.get(5),
          r.get(6),
          r.get(7),
          r.get(8));
      if (s != null) {
        seconds.add(r.get(0), s);
      }
      if ("FAILED".equals(r.get(2))) {
        blocks.add(new Note(r.get(0) + " FAILED: " + r.get(9), true));
      }
    }
    blocks.add(Charts.bars("run-seconds", "Seconds per job", "job", "seconds", seconds, true));
    blocks.add(grid);
    return blocks;
  }

  /** The seconds from start to end of a job run, or null while it has not ended. */
  private static Double seconds(Row r) {
    return r.isNullAt(4)
        ? null
        : Duration.between(r.getTimestamp(3).toInstant(), r.getTimestamp(4).toInstant()).toMillis()
            / 1000.0;
  }
}
