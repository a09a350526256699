package io.crmlake.common.run;

import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Tables;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a job body and records it in {@code ops.job_runs}: one row per run, on success and on
 * failure (then with the error message), before the failure propagates.
 */
public final class JobRunLog {
  private static final Logger LOG = LoggerFactory.getLogger(JobRunLog.class);

  public static final StructType SCHEMA =
      new StructType()
          .add("run_id", DataTypes.StringType, false)
          .add("job", DataTypes.StringType, false)
          .add("config_hash", DataTypes.StringType, false)
          .add("started_at", DataTypes.TimestampType, false)
          .add("ended_at", DataTypes.TimestampType, false)
          .add("status", DataTypes.StringType, false)
          .add("input_rows", DataTypes.LongType, true)
          .add("output_rows", DataTypes.LongType, true)
          .add("quarantined_rows", DataTypes.LongType, true)
          .add("skipped_rows", DataTypes.LongType, true)
          .add("error_message", DataTypes.StringType, true)
          .add("metrics", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType), true)
          .add("spark_app_id", DataTypes.StringType, true);

  private JobRunLog() {}

  /** Runs {@code body}, records the run, returns the result or rethrows the failure. */
  public static JobResult run(Lake lake, RunContext ctx, Function<RunContext, JobResult> body) {
    LOG.info("run {} started (config {})", ctx.runId(), ctx.configHash());
    JobResult result;
    try {
      result = body.apply(ctx);
    } catch (RuntimeException | Error e) {
      try {
        record(lake, ctx, "FAILED", null, describe(e));
      } catch (RuntimeException logFailure) {
        e.addSuppressed(logFailure);
      }
      LOG.error("run {} failed: {}", ctx.runId(), describe(e));
      throw e;
    }
    record(lake, ctx, "SUCCEEDED", result, null);
    LOG.info(
        "run {} succeeded: input {}, output {}, quarantined {}, skipped {}",
        ctx.runId(),
        result.inputRows(),
        result.outputRows(),
        result.quarantinedRows(),
        result.skippedRows());
    return result;
  }

  private static String describe(Throwable e) {
    String msg = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
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
            lake.spark().sparkContext().applicationId());
    ctx.spark().sparkContext().setJobGroup(ctx.job() + ": record run", ctx.runId(), false);
    lake.append(Tables.JOB_RUNS, lake.spark().createDataFrame(List.of(row), SCHEMA));
  }
}
