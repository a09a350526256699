package io.crmlake.cli;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.JobRunner;
import io.crmlake.common.spark.SparkSessions;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.ToIntFunction;
import picocli.CommandLine.Mixin;

/**
 * Shape of every job command: load the config and build the job from its typed settings (before
 * Spark starts, so a bad setting fails fast with exit 2), run it with {@link JobRunner} and print
 * its typed result on stdout. {@code demo} runs the same commands' jobs and reports in one session.
 *
 * @param <R> the job's result
 */
abstract class JobCommand<R extends JobResult> implements Callable<Integer> {
  @Mixin CommonOptions common;

  /** Overrides implied by the command's own options (--set still wins). */
  List<String> overrides() {
    return List.of();
  }

  /** The job, built from validated settings. */
  abstract Job<R> job(CrmlakeConfig config);

  /** Prints what the run produced (stdout); may read the job's tables for a summary. */
  abstract void report(Lake lake, R result);

  /**
   * The exit code of a run that completed: {@link Main#OK}, or {@link Main#PARTIAL} when it left
   * some input aside (ingest's rejected files).
   */
  int exitCode(R result) {
    return Main.OK;
  }

  /**
   * Validates the settings now and returns what runs the job, prints its report and returns its
   * exit code on a lake, for a caller that runs several jobs in one session.
   */
  ToIntFunction<Lake> prepare(CrmlakeConfig config) {
    Job<R> job = job(config);
    return lake -> {
      R result = JobRunner.run(lake, config, job);
      report(lake, result);
      return exitCode(result);
    };
  }

  @Override
  public Integer call() {
    CrmlakeConfig config = common.load(overrides());
    Job<R> job = job(config);
    return SparkSessions.with(
        config,
        job.name(),
        spark -> {
          Lake lake = new Lake(spark, config.lake());
          R result = JobRunner.run(lake, config, job);
          report(lake, result);
          return exitCode(result);
        });
  }
}
