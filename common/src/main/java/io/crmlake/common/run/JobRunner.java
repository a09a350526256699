package io.crmlake.common.run;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.spark.SparkSessions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RuntimeConfig;

/**
 * Runs every crmlake job the same way, for the command line, {@code demo}, spark-submit and the
 * tests: builds (or joins) the Spark session, computes the job's outputs, checks each against its
 * table's declaration, stores artifacts, writes the tables in the order the job declares them
 * ({@link Job#outputs}; one Delta commit each, every commit tagged with the run id), records the
 * run in {@code ops.job_runs} with its phase timings — also when it fails — and releases the run's
 * caches. The caller's Spark job group and Delta commit metadata are restored afterwards.
 *
 * <p>A run holds its job's {@link JobLock} from start to end: a second run of the same job on the
 * same lake fails at once; a run that finds the lock of a killed run takes it over and records that
 * run as {@code INTERRUPTED}.
 *
 * <p>Because nothing is written until every computation has succeeded, a job whose computation
 * fails leaves all its tables as they were.
 */
public final class JobRunner {
  /** Delta's session setting whose value every commit records as {@code userMetadata}. */
  public static final String COMMIT_METADATA = "spark.databricks.delta.commitInfo.userMetadata";

  /** The local properties behind {@code SparkContext.setJobGroup}. */
  private static final String[] JOB_GROUP_PROPERTIES = {
    "spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"
  };

  private JobRunner() {}

  /** Runs {@code job} in its own session (or the active one), as the command line does. */
  public static <R extends JobResult> R run(CrmlakeConfig config, Job<R> job) {
    return SparkSessions.with(
        config, job.name(), spark -> run(new Lake(spark, config.lake()), config, job));
  }

  /** Runs {@code job} on {@code lake}'s session (demo runs several jobs in one session). */
  public static <R extends JobResult> R run(Lake lake, CrmlakeConfig config, Job<R> job) {
    RunContext ctx = new RunContext(lake, job.name(), config);
    SparkContext sc = lake.spark().sparkContext();
    String[] jobGroup = new String[JOB_GROUP_PROPERTIES.length];
    for (int i = 0; i < jobGroup.length; i++) {
      jobGroup[i] = sc.getLocalProperty(JOB_GROUP_PROPERTIES[i]);
    }
    RuntimeConfig conf = lake.spark().conf();
    String commitMetadata = conf.getOption(COMMIT_METADATA).getOrElse(() -> null);
    conf.set(COMMIT_METADATA, ctx.runId());
    try (JobLock lock =
        JobLock.acquire(
            sc.hadoopConfiguration(),
            lake.root(),
            job.name(),
            ctx.runId(),
            config.run().lockTimeout())) {
      ctx.holdLock(lock);
      for (JobLock.Holder killed : lock.owed()) {
        JobRunLog.recordInterrupted(lake, ctx, killed);
      }
      if (!lock.owed().isEmpty()) {
        lock.interruptionsRecorded();
      }
      return JobRunLog.run(
          lake,
          ctx,
          () -> {
            ctx.sizeShuffles(job.mainInput().map(lake::sizeInBytes).orElse(0L));
            return computeAndWrite(ctx, job);
          });
    } finally {
      ctx.restoreShuffles();
      for (int i = 0; i < jobGroup.length; i++) {
        sc.setLocalProperty(JOB_GROUP_PROPERTIES[i], jobGroup[i]);
      }
      if (commitMetadata == null) {
        conf.unset(COMMIT_METADATA);
      } else {
        conf.set(COMMIT_METADATA, commitMetadata);
      }
    }
  }

  private static <R extends JobResult> R computeAndWrite(RunContext ctx, Job<R> job) {
    try {
      Outputs<R> out = job.compute(ctx);
      write(ctx, out, job.outputs());
      R result = out.result();
      for (Outputs.Step<R> step : out.after()) {
        ctx.phase(step.name());
        result = step.apply().apply(result);
      }
      return result;
    } finally {
      ctx.endPhase();
      ctx.release();
    }
  }

  /**
   * Checks every output against its declaration first (so schema drift fails the run before any
   * write), stores the artifacts, then writes the tables in the order of {@code tables}, the job's
   * own tables.
   */
  static void write(RunContext ctx, Outputs<?> out, List<Table> tables) {
    List<Outputs.Write> writes = new ArrayList<>(out.writes());
    for (Outputs.Write w : writes) {
      if (indexOf(tables, w.table()) < 0) {
        throw new IllegalStateException(
            ctx.job()
                + " may not write "
                + w.table()
                + ": it is not one of its tables (declared as written by "
                + w.table().producer()
                + ")");
      }
    }
    writes.sort(Comparator.comparingInt(w -> indexOf(tables, w.table())));
    List<Dataset<Row>> conformed = new ArrayList<>();
    for (Outputs.Write w : writes) {
      conformed.add(w.table().conform(w.rows()));
    }
    for (Outputs.Artifact a : out.artifacts()) {
      ctx.phase("store " + a.name());
      a.store().run();
    }
    for (int i = 0; i < writes.size(); i++) {
      Table t = writes.get(i).table();
      ctx.phase("write " + t);
      ctx.verifyLock();
      ctx.lake().write(t, conformed.get(i), writes.get(i).partition());
      ctx.committed(t.toString());
    }
  }

  /** The place of {@code table} (by id: a slot's concrete declaration counts) in {@code tables}. */
  private static int indexOf(List<Table> tables, Table table) {
    for (int i = 0; i < tables.size(); i++) {
      if (tables.get(i).id().equals(table.id())) {
        return i;
      }
    }
    return -1;
  }
}
