package io.crmlake.common.run;

import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.MapType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a job body and records it in {@code ops.job_runs}: one row per run, on success and on
 * failure (then with the error message), with the run's phase timings, before the failure
 * propagates.
 */
public final class JobRunLog {
  private static final Logger LOG = LoggerFactory.getLogger(JobRunLog.class);

  /** The run log: declared here, beside the code that writes it for every job. */
  public static final Table JOB_RUNS =
      Table.everyJob("ops", "job_runs")
          .comment(
              "One row per job run, also failed ones; DESCRIBE HISTORY of any table shows the run"
                  + " id of each write (userMetadata).")
          .append()
          .column(
              "run_id", StringType, "<job>-<utc time>-<random>; each Delta commit's userMetadata.")
          .column("job", StringType, "ingest, baskets, segments, clv, churn, publish, generate.")
          .column("config_hash", StringType, "Hash of the effective configuration.")
          .column("started_at", TimestampType, "Start time.")
          .column(
              "ended_at",
              TimestampType,
              "End time; for an INTERRUPTED run, its last heartbeat (the last sign of life).")
          .column(
              "status",
              StringType,
              "SUCCEEDED, FAILED, or INTERRUPTED: the process ended without recording the run"
                  + " (killed, machine lost); recorded by the next run of the job.")
          .column("input_rows", LongType, "Rows read.")
          .column("output_rows", LongType, "Rows written to the job's main output.")
          .column("quarantined_rows", LongType, "Rows quarantined.")
          .column("skipped_rows", LongType, "Rows skipped as duplicates.")
          .column(
              "error_message",
              StringType,
              "Why a failed run failed, or how an interrupted run was found.")
          .column(
              "metrics",
              new MapType(StringType, StringType, true),
              "The job's typed result, one entry per figure (counts, thresholds, model figures).")
          .column("spark_app_id", StringType, "Spark application id.")
          .column(
              "phase_ms",
              new MapType(StringType, LongType, true),
              "Milliseconds per phase of the run (the Spark job group names).")
          .column(
              "pipeline_run_id",
              StringType,
              "The `bin/crmlake pipeline` run this job ran in (null for a job run alone).")
          .build();

  private JobRunLog() {}

  /** Runs {@code body}, records the run, returns the result or rethrows the failure. */
  public static <R extends JobResult> R run(Lake lake, RunContext ctx, Supplier<R> body) {
    LOG.info("run {} started (config {})", ctx.runId(), ctx.configHash());
    R result;
    try {
      result = body.get();
    } catch (RuntimeException | Error e) {
      ctx.endPhase();
      try {
        record(lake, ctx, "FAILED", null, describe(e));
      } catch (RuntimeException logFailure) {
        e.addSuppressed(logFailure);
      }
      LOG.error("run {} failed: {}", ctx.runId(), describe(e));
      throw e;
    }
    ctx.endPhase();
    record(lake, ctx, "SUCCEEDED", result, null);
    LOG.info(
        "run {} succeeded: input {}, output {}, quarantined {}, skipped {}; phases (ms) {}",
        ctx.runId(),
        result.inputRows(),
        result.outputRows(),
        result.quarantinedRows(),
        result.skippedRows(),
        ctx.phaseMillis());
    return result;
  }

  /**
   * Records a run that never recorded itself — its process was killed or its machine lost — as
   * {@code INTERRUPTED}, ended at its last heartbeat; nothing if its lock file says it did record
   * itself (killed between its record and releasing its lock).
   */
  static void recordInterrupted(Lake lake, RunContext ctx, JobLock.Holder h) {
    if (h.recorded() || alreadyRecorded(lake, h.runId())) {
      return;
    }
    String error =
        String.format(
            "the run ended without recording itself (process killed or machine lost): last"
                + " heartbeat %s on host %s (process %d); found by run %s",
            h.heartbeat(), h.host(), h.pid(), ctx.runId());
    LOG.warn("run {} of {} was interrupted: {}", h.runId(), ctx.job(), error);
    Row row =
        RowFactory.create(
            h.runId(),
            ctx.job(),
            null,
            Timestamp.from(h.started()),
            Timestamp.from(h.heartbeat()),
            "INTERRUPTED",
            null,
            null,
            null,
            null,
            error,
            scala.jdk.javaapi.CollectionConverters.asScala(Map.<String, String>of()),
            null,
            scala.jdk.javaapi.CollectionConverters.asScala(Map.<String, Long>of()),
            null);
    append(lake, ctx, row);
  }

  /**
   * Whether the run log has a row of {@code runId}: a run that recorded a killed run and was killed
   * itself before its lock file said so passes that run on again.
   */
  private static boolean alreadyRecorded(Lake lake, String runId) {
    return lake.exists(JOB_RUNS)
        && !lake.read(JOB_RUNS)
            .where(org.apache.spark.sql.functions.col("run_id").equalTo(runId))
            .isEmpty();
  }

  private static String describe(Throwable e) {
    String msg = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
    if (e instanceof Error) {
      msg = e.getClass().getName() + ": " + msg;
    }
    return msg.length() > 4000 ? msg.substring(0, 4000) + "..." : msg;
  }

  private static void record(
      Lake lake, RunContext ctx, String status, JobResult result, String error) {
    Map<String, String> metrics = result == null ? Map.of() : result.metrics();
    Row row =
        RowFactory.create(
            ctx.runId(),
            ctx.job(),
            ctx.configHash(),
            Timestamp.from(ctx.startedAt()),
            Timestamp.from(Instant.now()),
            status,
            result == null ? null : result.inputRows(),
            result == null ? null : result.outputRows(),
            result == null ? null : result.quarantinedRows(),
            result == null ? null : result.skippedRows(),
            error,
            scala.jdk.javaapi.CollectionConverters.asScala(metrics),
            lake.spark().sparkContext().applicationId(),
            scala.jdk.javaapi.CollectionConverters.asScala(ctx.phaseMillis()),
            ctx.pipelineRunId().orElse(null));
    append(lake, ctx, row);
    ctx.recorded();
    ctx.committed(JOB_RUNS.toString());
  }

  private static void append(Lake lake, RunContext ctx, Row row) {
    ctx.spark().sparkContext().setJobGroup(ctx.job() + ": record run", ctx.runId(), false);
    lake.write(
        JOB_RUNS,
        JOB_RUNS.conform(lake.spark().createDataFrame(List.of(row), JOB_RUNS.schema())),
        Optional.empty());
  }
}
