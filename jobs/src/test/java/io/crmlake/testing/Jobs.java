package io.crmlake.testing;

import io.crmlake.baskets.BasketsJob;
import io.crmlake.baskets.BasketsResult;
import io.crmlake.baskets.BasketsSettings;
import io.crmlake.churn.ChurnJob;
import io.crmlake.churn.ChurnResult;
import io.crmlake.churn.ChurnSettings;
import io.crmlake.clv.ClvJob;
import io.crmlake.clv.ClvResult;
import io.crmlake.clv.ClvSettings;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobRunner;
import io.crmlake.generate.GenerateJob;
import io.crmlake.generate.GenerateResult;
import io.crmlake.generate.GenerateSettings;
import io.crmlake.ingest.IngestJob;
import io.crmlake.ingest.IngestResult;
import io.crmlake.ingest.IngestSettings;
import io.crmlake.segments.SegmentsJob;
import io.crmlake.segments.SegmentsResult;
import io.crmlake.segments.SegmentsSettings;
import java.util.List;

/** Runs jobs through the one runner, as the command line does (typed settings, run log). */
public final class Jobs {
  private Jobs() {}

  public static GenerateResult generate(Lake lake, CrmlakeConfig config) {
    return JobRunner.run(lake, config, new GenerateJob(GenerateSettings.from(config)));
  }

  public static IngestResult ingest(Lake lake, CrmlakeConfig config, String... sources) {
    return JobRunner.run(
        lake, config, new IngestJob(IngestSettings.from(config, List.of(sources))));
  }

  public static BasketsResult baskets(Lake lake, CrmlakeConfig config) {
    return JobRunner.run(lake, config, new BasketsJob(BasketsSettings.from(config)));
  }

  public static SegmentsResult segments(Lake lake, CrmlakeConfig config) {
    return JobRunner.run(lake, config, new SegmentsJob(SegmentsSettings.from(config)));
  }

  public static ClvResult clv(Lake lake, CrmlakeConfig config) {
    return JobRunner.run(lake, config, new ClvJob(ClvSettings.from(config)));
  }

  public static ClvResult clv(Lake lake, CrmlakeConfig config, ClvJob.Mode mode) {
    return JobRunner.run(lake, config, new ClvJob(ClvSettings.from(config), mode));
  }

  public static ChurnResult churn(Lake lake, CrmlakeConfig config) {
    return churn(lake, config, ChurnJob.Mode.BOTH);
  }

  /** Publishes with the serving database's password read from {@code env}. */
  public static io.crmlake.publish.PublishResult publish(
      Lake lake, CrmlakeConfig config, java.util.Map<String, String> env) {
    return JobRunner.run(
        lake,
        config,
        new io.crmlake.publish.PublishJob(io.crmlake.publish.PublishSettings.from(config), env));
  }

  /**
   * The age in days the refresh policy gives a model {@code version} now: 0 the day it was trained,
   * 1 the next day (UTC) however few hours later.
   */
  public static long ageToday(String version) {
    return io.crmlake.common.run.ModelRefresh.ageDays(
        io.crmlake.common.run.ModelRefresh.trainedAt(version), java.time.Instant.now());
  }

  public static ChurnResult churn(Lake lake, CrmlakeConfig config, ChurnJob.Mode mode) {
    return JobRunner.run(lake, config, new ChurnJob(ChurnSettings.from(config), mode));
  }
}
