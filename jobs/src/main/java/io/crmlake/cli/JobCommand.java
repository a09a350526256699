package io.crmlake.cli;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.run.RunContext;
import io.crmlake.common.spark.SparkSessions;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/**
 * Shape of every job command: parse the config into typed settings (before Spark starts, so a bad
 * setting fails fast with exit 2), build the session, run the job under {@link JobRunLog} (one row
 * in ops.job_runs, also on failure) and print a summary on stdout.
 */
abstract class JobCommand<S> implements Callable<Integer> {
  @Mixin CommonOptions common;

  /** The job name: Spark application suffix, job_runs.job. */
  abstract String job();

  /** Overrides implied by the command's own options (--set still wins). */
  List<String> overrides() {
    return List.of();
  }

  /** Typed, validated settings of the job. */
  abstract S settings(CrmlakeConfig config);

  abstract JobResult execute(Lake lake, S settings, RunContext ctx);

  /** Prints what the run produced (stdout). */
  void report(JobResult result, S settings) {
    System.out.printf(
        "%s: input %d, output %d, quarantined %d, skipped %d%n",
        job(),
        result.inputRows(),
        result.outputRows(),
        result.quarantinedRows(),
        result.skippedRows());
  }

  /** Prints what the run produced; jobs whose summary lives in tables read them from the lake. */
  void report(Lake lake, JobResult result, S settings) {
    report(result, settings);
  }

  @Override
  public Integer call() {
    CrmlakeConfig config = common.load(overrides());
    S settings = settings(config);
    return SparkSessions.with(
        config,
        job(),
        spark -> {
          Lake lake = new Lake(spark, config.lake());
          RunContext ctx = new RunContext(spark, job(), config);
          JobResult result = JobRunLog.run(lake, ctx, c -> execute(lake, settings, c));
          report(lake, result, settings);
          return 0;
        });
  }
}
