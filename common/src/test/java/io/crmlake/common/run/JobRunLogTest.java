package io.crmlake.common.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Tables;
import io.crmlake.common.testing.SparkTestBase;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobRunLogTest extends SparkTestBase {
  @TempDir Path dir;

  @Test
  void recordsSuccessAndFailure() {
    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    JobResult ok =
        JobRunLog.run(
            lake,
            new RunContext(spark, "demo-job", config),
            ctx -> new JobResult(10, 7, 2, 1, java.util.Map.of("k", "v")));
    assertEquals(7, ok.outputRows());
    RunContext failing = new RunContext(spark, "demo-job", config);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                JobRunLog.run(
                    lake,
                    failing,
                    ctx -> {
                      throw new IllegalStateException("boom in phase 2");
                    }));
    assertEquals("boom in phase 2", e.getMessage());

    List<Row> runs =
        lake.read(Tables.JOB_RUNS)
            .orderBy("started_at", "status")
            .select(
                "job",
                "status",
                "input_rows",
                "output_rows",
                "quarantined_rows",
                "skipped_rows",
                "error_message",
                "config_hash",
                "run_id")
            .collectAsList();
    assertEquals(2, runs.size());
    Row success = runs.stream().filter(r -> r.getString(1).equals("SUCCEEDED")).findFirst().get();
    assertEquals(10L, success.getLong(2));
    assertEquals(7L, success.getLong(3));
    assertEquals(2L, success.getLong(4));
    assertEquals(1L, success.getLong(5));
    assertNull(success.get(6));
    assertEquals(config.hash(), success.getString(7));
    Row failed = runs.stream().filter(r -> r.getString(1).equals("FAILED")).findFirst().get();
    assertEquals("boom in phase 2", failed.getString(6));
    assertEquals(failing.runId(), failed.getString(8));
    assertTrue(failed.isNullAt(2));
  }
}
