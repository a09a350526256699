package io.crmlake.testing;

import io.crmlake.baskets.BasketsJob;
import io.crmlake.baskets.BasketsSettings;
import io.crmlake.clv.ClvJob;
import io.crmlake.clv.ClvSettings;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.run.RunContext;
import io.crmlake.ingest.IngestJob;
import io.crmlake.ingest.IngestSettings;
import io.crmlake.segments.SegmentsJob;
import io.crmlake.segments.SegmentsSettings;
import java.util.List;

/** Runs jobs the way the command line does (typed settings, run log), for tests. */
public final class Jobs {
  private Jobs() {}

  public static JobResult baskets(Lake lake, CrmlakeConfig config) {
    BasketsJob job = new BasketsJob(lake, BasketsSettings.from(config));
    return JobRunLog.run(lake, new RunContext(lake.spark(), "baskets", config), job::run);
  }

  public static JobResult segments(Lake lake, CrmlakeConfig config) {
    SegmentsJob job = new SegmentsJob(lake, SegmentsSettings.from(config));
    return JobRunLog.run(lake, new RunContext(lake.spark(), "segments", config), job::run);
  }

  public static JobResult clv(Lake lake, CrmlakeConfig config) {
    ClvJob job = new ClvJob(lake, ClvSettings.from(config));
    return JobRunLog.run(lake, new RunContext(lake.spark(), "clv", config), job::run);
  }

  public static JobResult ingest(Lake lake, CrmlakeConfig config, String... sources) {
    IngestJob job = new IngestJob(lake, IngestSettings.from(config, List.of(sources)));
    return JobRunLog.run(lake, new RunContext(lake.spark(), "ingest", config), job::run);
  }
}
