package io.crmlake.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.baskets.BasketsJob;
import io.crmlake.baskets.BasketsSettings;
import io.crmlake.churn.ChurnJob;
import io.crmlake.churn.ChurnSettings;
import io.crmlake.clv.ClvJob;
import io.crmlake.clv.ClvSettings;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Table;
import io.crmlake.common.lake.TableId;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.ingest.IngestJob;
import io.crmlake.ingest.IngestSettings;
import io.crmlake.publish.PublishJob;
import io.crmlake.publish.PublishSettings;
import io.crmlake.segments.SegmentsJob;
import io.crmlake.segments.SegmentsSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The registry is the jobs' own declarations put together: each job owns its tables (declared in
 * its package, written by it alone), the registry lists them in the order the pipeline writes them,
 * and every table is declared once. No Spark: only the declarations and the jobs' settings.
 */
class TableRegistryTest {
  static List<Job<?>> pipelineJobs() {
    CrmlakeConfig config = SparkTestBase.config(Path.of("lake-not-used"));
    return List.of(
        new IngestJob(IngestSettings.from(config, List.of())),
        new BasketsJob(BasketsSettings.from(config)),
        new SegmentsJob(SegmentsSettings.from(config)),
        new ChurnJob(ChurnSettings.from(config), ChurnJob.Mode.BOTH),
        new ClvJob(ClvSettings.from(config)),
        new PublishJob(PublishSettings.from(config), Map.of()));
  }

  @Test
  void thePipelinesTablesAreTheJobsOwnInPipelineOrderThenTheRunLog() {
    List<Table> expected = new ArrayList<>();
    for (Job<?> job : pipelineJobs()) {
      assertTrue(!job.outputs().isEmpty(), job.name() + " declares its tables");
      for (Table t : job.outputs()) {
        assertEquals(job.name(), t.producer(), t + " is declared as written by its job");
        expected.add(t);
      }
    }
    expected.add(JobRunLog.JOB_RUNS);
    assertEquals(expected, TableRegistry.PIPELINE);
  }

  /** A reader finds a table beside the code that fills it: in its job's package. */
  @Test
  void eachJobsTablesAreDeclaredInItsPackage() throws Exception {
    for (Job<?> job : pipelineJobs()) {
      String pkg = job.getClass().getPackageName();
      assertEquals("io.crmlake." + job.name(), pkg);
      String holder =
          Character.toUpperCase(job.name().charAt(0)) + job.name().substring(1) + "Tables";
      Class<?> declarations = Class.forName(pkg + "." + holder);
      assertEquals(job.outputs(), declarations.getField("ALL").get(null), holder + ".ALL");
    }
  }

  @Test
  void everyTableIsDeclaredOnce() {
    Set<TableId> seen = new HashSet<>();
    for (Table t : TableRegistry.documented()) {
      assertTrue(seen.add(t.id()), t + " is declared twice");
      assertTrue(TableId.LAYERS.contains(t.layer()), t + ": unknown layer");
    }
    assertEquals(TableRegistry.PIPELINE.size() + TableRegistry.TOOLS.size(), seen.size());
  }
}
