package io.crmlake.cli;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobLock;
import io.crmlake.common.run.RunContext;
import io.crmlake.common.spark.SparkSessions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.ToIntFunction;
import org.apache.spark.SparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "pipeline",
    mixinStandardHelpOptions = true,
    description = {
      "Run the nightly pipeline: ingest, baskets, segments, churn, clv, publish.",
      "One Spark session; every job's row in ops.job_runs carries the pipeline's run id",
      "(pipeline_run_id). Stops at the first failure and prints what ran, what failed and why;",
      "--from JOB resumes there. Every job's settings are validated before Spark starts.",
      "The nightly command: when silver has not changed since every job's last successful run",
      "with the same configuration, it says so after ingest and runs nothing else."
    })
final class PipelineCommand implements Callable<Integer> {
  /** The jobs in order. */
  static final List<String> JOBS =
      List.of("ingest", "baskets", "segments", "churn", "clv", "publish");

  @Mixin CommonOptions common;

  @Option(
      names = "--from",
      paramLabel = "JOB",
      description = "Start at this job (ingest, baskets, segments, churn, clv, publish).")
  String from;

  @Option(
      names = "--full",
      description = {
        "Rebuild everything from silver: silver.customer_days recomputed for every customer and",
        "every model retrained (after a change of settings or definitions); every job runs."
      })
  boolean full;

  /** The settings --full sets: they apply before the user's own --set. */
  static final List<String> FULL =
      List.of(
          "ingest.rebuild-customer-days=true",
          "baskets.retrain-now=true",
          "segments.kmeans.retrain-now=true",
          "churn.retrain-now=true",
          "clv.retrain-now=true");

  /** One job of the pipeline: its name, what it does, and the prepared run. */
  record Step(String job, String title, ToIntFunction<Lake> run) {}

  /** What a step did, for the summary. */
  record Outcome(String job, String status, double seconds, String detail) {}

  /**
   * Skip the jobs after ingest when nothing changed since their last successful runs with the
   * configuration of this hash ({@link PipelineFreshness}).
   */
  record Freshness(String configHash) {}

  @Override
  public Integer call() {
    CrmlakeConfig config = common.load(full ? FULL : List.of());
    List<Step> steps = steps(config, from);
    return SparkSessions.with(
        config,
        "pipeline",
        spark -> {
          Lake lake = new Lake(spark, config.lake());
          Optional<Freshness> fresh =
              from == null && !full ? Optional.of(new Freshness(config.hash())) : Optional.empty();
          List<Outcome> outcomes = run(lake, steps, "", fresh);
          int code = printSummary(outcomes);
          if (code != Main.FAILED && code != Main.LOCKED) {
            PublishCommand.printConnection(config);
          }
          return code;
        });
  }

  /** The pipeline's steps from {@code from} (null = all), settings validated now. */
  static List<Step> steps(CrmlakeConfig config, String from) {
    int start = 0;
    if (from != null) {
      start = JOBS.indexOf(from.trim().toLowerCase(Locale.ROOT));
      if (start < 0) {
        throw ConfigError.invalid("--from", from, "must be one of " + JOBS);
      }
    }
    List<Step> all =
        List.of(
            new Step(
                "ingest",
                "ingest landing files into bronze and silver",
                new IngestCommand().prepare(config)),
            new Step(
                "baskets",
                "market baskets (FP-Growth rules when due)",
                new BasketsCommand().prepare(config)),
            new Step(
                "segments",
                "segment customers (RFM, value classes, pyramid, KMeans)",
                new SegmentsCommand().prepare(config)),
            new Step(
                "churn",
                "churn: train, evaluate and score (point-in-time features, MLlib)",
                new ChurnCommand().prepare(config)),
            new Step(
                "clv",
                "customer lifetime value (BG/NBD + Gamma-Gamma)",
                new ClvCommand().prepare(config)),
            new Step(
                "publish",
                "publish customer scores, action lists and the serving database",
                new PublishCommand().prepare(config)));
    return all.subList(start, all.size());
  }

  /**
   * Runs the steps in order under one pipeline run id until one fails; the rest are skipped. The
   * caller's pipeline property is restored afterwards.
   */
  static List<Outcome> run(Lake lake, List<Step> steps, String numberPrefix) {
    return run(lake, steps, numberPrefix, Optional.empty());
  }

  /** As {@link #run(Lake, List, String)}, skipping what is current when {@code fresh} is given. */
  static List<Outcome> run(
      Lake lake, List<Step> steps, String numberPrefix, Optional<Freshness> fresh) {
    SparkContext sc = lake.spark().sparkContext();
    String previous = sc.getLocalProperty(RunContext.PIPELINE_RUN);
    String id =
        "pipeline-"
            + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")
                .withZone(ZoneOffset.UTC)
                .format(Instant.now())
            + "-"
            + UUID.randomUUID().toString().substring(0, 8);
    sc.setLocalProperty(RunContext.PIPELINE_RUN, id);
    try {
      return runSteps(lake, steps, numberPrefix, id, fresh);
    } finally {
      sc.setLocalProperty(RunContext.PIPELINE_RUN, previous);
    }
  }

  /** Runs the steps in order until one fails or is locked; the rest are skipped. */
  static List<Outcome> runSteps(Lake lake, List<Step> steps, String numberPrefix, String id) {
    return runSteps(lake, steps, numberPrefix, id, Optional.empty());
  }

  static List<Outcome> runSteps(
      Lake lake, List<Step> steps, String numberPrefix, String id, Optional<Freshness> fresh) {
    System.out.println("pipeline run " + id);
    List<Outcome> out = new ArrayList<>();
    boolean failed = false;
    Optional<String> current = Optional.empty();
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      if (failed) {
        out.add(new Outcome(s.job(), "skipped", 0, "an earlier job failed"));
        continue;
      }
      if (current.isPresent()) {
        out.add(new Outcome(s.job(), "current", 0, "nothing new since its last run"));
        continue;
      }
      System.out.println();
      System.out.println("== " + numberPrefix + (i + 1) + "/" + steps.size() + " " + s.title());
      long t0 = System.nanoTime();
      try {
        int code = s.run().applyAsInt(lake);
        double took = seconds(t0);
        out.add(
            code == Main.OK
                ? new Outcome(s.job(), "ok", took, PipelineFreshness.modelOf(lake, s.job(), id))
                : new Outcome(s.job(), "partial", took, "exit " + code + ": see above"));
        if (i == 0 && s.job().equals("ingest") && fresh.isPresent()) {
          List<String> later = steps.subList(1, steps.size()).stream().map(Step::job).toList();
          current = PipelineFreshness.nothingNew(lake, later, fresh.get().configHash());
          current.ifPresent(
              why -> System.out.println("Nothing new: " + why + ". No other job runs."));
        }
      } catch (RuntimeException e) {
        failed = true;
        org.slf4j.LoggerFactory.getLogger(PipelineCommand.class)
            .error("pipeline {}: {} failed", id, s.job(), e);
        String why = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
        boolean locked = Main.cause(e, JobLock.JobLockedException.class) != null;
        out.add(new Outcome(s.job(), locked ? "LOCKED" : "FAILED", seconds(t0), why));
      }
    }
    return out;
  }

  /**
   * Prints one line per job; returns the pipeline's exit code: FAILED when a job failed, PARTIAL
   * when one left input aside (rejected files), else OK.
   */
  static int printSummary(List<Outcome> outcomes) {
    System.out.println();
    System.out.println("== pipeline summary");
    boolean ok = true;
    boolean partial = false;
    String failedJob = null;
    boolean locked = false;
    for (Outcome o : outcomes) {
      System.out.printf("  %-9s %-8s %7.1f s  %s%n", o.job(), o.status(), o.seconds(), o.detail());
      if (o.status().equals("FAILED") || o.status().equals("LOCKED")) {
        ok = false;
        failedJob = o.job();
        locked = o.status().equals("LOCKED");
      }
      partial |= o.status().equals("partial");
    }
    if (locked) {
      System.out.println(
          "The pipeline stopped at "
              + failedJob
              + ": another run of it holds its lock; resume later with: bin/crmlake pipeline"
              + " --from "
              + failedJob);
    } else if (!ok) {
      System.out.println(
          "The pipeline stopped at "
              + failedJob
              + "; fix the cause and resume with: bin/crmlake pipeline --from "
              + failedJob);
    }
    return locked ? Main.LOCKED : !ok ? Main.FAILED : partial ? Main.PARTIAL : Main.OK;
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
