package io.crmlake.report;

import io.crmlake.common.run.ModelRefresh;
import io.crmlake.report.Report.Block;
import io.crmlake.report.Report.Grid;
import io.crmlake.report.Report.Note;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * The run log: the jobs of the reported run with status, rows in and out, quarantined and duplicate
 * rows, and a bar chart of seconds per job; a red note for each failed job (from the job runs
 * {@link ReportedRun} took from {@code ops.job_runs}). Then the models in use: per model family,
 * the model of its job's latest successful run, when it was trained, its age today and what that
 * run decided (trained or reused, and why; {@link ModelRefresh}).
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
    blocks.add(models(in.run().models(), Instant.now()));
    return blocks;
  }

  /** The model families and the job that trains each. */
  static final List<List<String>> FAMILIES =
      List.of(
          List.of("baskets", "association rules"),
          List.of("segments", "KMeans clusters"),
          List.of("churn", "churn classifier"),
          List.of("clv", "CLV parameters"));

  /**
   * The models in use: the model of each family's latest successful run ({@link
   * ReportedRun#models}), when it was trained and its age at {@code now}.
   */
  static Grid models(List<Row> latest, Instant now) {
    Grid grid =
        Grid.of(
            "models",
            List.of("model", "job", "version", "trained", "age (days)", "latest run", "why"));
    Map<String, Row> byJob = new HashMap<>();
    latest.forEach(r -> byJob.put(r.getString(0), r));
    for (List<String> f : FAMILIES) {
      Row r = byJob.get(f.get(0));
      if (r == null) {
        continue;
      }
      Map<String, String> m =
          scala.jdk.javaapi.CollectionConverters.asJava(r.<String, String>getMap(1));
      String version = m.get("model_version");
      Instant trained = ModelRefresh.trainedAt(version);
      // Runs without a refresh decision: an explicit `churn score` reused, any other trained.
      String decision =
          m.containsKey("refresh_train")
              ? "true".equals(m.get("refresh_train")) ? "trained" : "reused"
              : "score".equals(m.get("mode")) ? "reused" : "trained";
      grid.add(
          f.get(1),
          f.get(0),
          version,
          trained.toString().substring(0, 10),
          ModelRefresh.ageDays(trained, now),
          decision,
          m.getOrDefault("refresh_reason", ""));
    }
    return grid;
  }

  /** The seconds from start to end of a job run, or null while it has not ended. */
  private static Double seconds(Row r) {
    return r.isNullAt(4)
        ? null
        : Duration.between(r.getTimestamp(3).toInstant(), r.getTimestamp(4).toInstant()).toMillis()
            / 1000.0;
  }
}
