package io.crmlake.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.max;

import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobRunLog;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The run a report describes: the job runs of the latest pipeline run in {@code ops.job_runs}, or
 * the latest run of each job when no pipeline ran yet.
 *
 * @param title how the report's facts line names the run
 * @param jobs its job runs by start time, with the columns of {@link #COLUMNS}
 * @param ingestRun the run id of its last successful ingest, or null
 * @param models the models in use: {@link #modelsInUse}
 */
record ReportedRun(String title, List<Row> jobs, String ingestRun, List<Row> models) {
  ReportedRun(String title, List<Row> jobs, String ingestRun) {
    this(title, jobs, ingestRun, List.of());
  }

  /** The jobs that train a model. */
  static final String[] MODEL_JOBS =
      RunLogSection.FAMILIES.stream().map(f -> f.get(0)).toArray(String[]::new);

  /**
   * Per job that trains a model, the {@code job} and {@code metrics} of its latest successful run
   * that names a {@code model_version}: one row per job reaches the driver.
   */
  static List<Row> modelsInUse(Dataset<Row> jobRuns) {
    return jobRuns
        .where(
            col("status")
                .equalTo("SUCCEEDED")
                .and(col("job").isin((Object[]) MODEL_JOBS))
                .and(col("metrics").getItem("model_version").isNotNull()))
        .groupBy("job")
        .agg(functions.max_by(col("metrics"), col("started_at")).as("metrics"))
        .collectAsList();
  }

  /** The columns of {@link #jobs()}, in order. */
  static final String[] COLUMNS = {
    "job",
    "run_id",
    "status",
    "started_at",
    "ended_at",
    "input_rows",
    "output_rows",
    "quarantined_rows",
    "skipped_rows",
    "error_message"
  };

  /**
   * The latest pipeline run of the lake.
   *
   * @throws Lake.MissingTableException when no job ran yet (there is no run log)
   */
  static ReportedRun latest(Lake lake) {
    Dataset<Row> all = lake.read(JobRunLog.JOB_RUNS);
    String pipelineRun = latestPipelineRun(all);
    Dataset<Row> runs;
    String title;
    if (pipelineRun != null) {
      runs = all.where(col("pipeline_run_id").equalTo(pipelineRun));
      title = "pipeline run " + pipelineRun;
    } else {
      runs =
          all.join(
              all.groupBy("job").agg(max("started_at").as("started_at")),
              new String[] {"job", "started_at"},
              "left_semi");
      title = "latest run of each job (no pipeline run yet)";
    }
    List<Row> jobs =
        runs.orderBy("started_at")
            .select(COLUMNS[0], Arrays.copyOfRange(COLUMNS, 1, COLUMNS.length))
            .limit(Blocks.MAX_ROWS)
            .collectAsList();
    return new ReportedRun(title, jobs, lastSuccessfulIngest(jobs), modelsInUse(all));
  }

  private static String latestPipelineRun(Dataset<Row> jobRuns) {
    return jobRuns
        .where(col("pipeline_run_id").isNotNull())
        .orderBy(desc("started_at"))
        .select("pipeline_run_id")
        .limit(1)
        .collectAsList()
        .stream()
        .findFirst()
        .map(r -> r.getString(0))
        .orElse(null);
  }

  /** The run id of the last job run that is a successful ingest, or null. */
  static String lastSuccessfulIngest(List<Row> jobs) {
    String ingestRun = null;
    for (Row r : jobs) {
      if ("ingest".equals(r.get(0)) && "SUCCEEDED".equals(r.get(2))) {
        ingestRun = r.getString(1);
      }
    }
    return ingestRun;
  }
}
