package io.crmlake.common.run;

import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Tables;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a job body and records it in {@code ops.job_runs}: one row per run, on success and on
 * failure (then with the error message), with the run's phase timings, before the failure
 * propagates.
 */
public final class JobRunLog {
  private static final Logger LOG = LoggerFactory.getLogger(JobRunLog.class);

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
    if (h.recorded()) {
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
    ctx.committed(Tables.JOB_RUNS.toString());
  }

  private static void append(Lake lake, RunContext ctx, Row row) {
    ctx.spark().sparkContext().setJobGroup(ctx.job() + ": record run", ctx.runId(), false);
    lake.write(
        Tables.JOB_RUNS,
        Tables.JOB_RUNS.conform(
            lake.spark().createDataFrame(List.of(row), Tables.JOB_RUNS.schema())),
        Optional.empty());
  }
}
