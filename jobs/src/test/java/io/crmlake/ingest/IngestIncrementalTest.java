package io.crmlake.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.testing.Jobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exactly once: re-runs add nothing, new files are read alone, re-dropped files add nothing. */
class IngestIncrementalTest extends SparkTestBase {
  @TempDir Path dir;

  @Test
  void reRunsAddNothingAndNewFilesAreReadAlone() throws Exception {
    Path landing = dir.resolve("landing");
    Path conf = IngestValidationTest.source(dir, landing);
    IngestValidationTest.csv(
        landing.resolve("d1.csv"),
        "O1,1,C1,2024-01-01 10:00:00,P1,2,3.50",
        "O1,2,C1,2024-01-01 10:00:00,P2,1,1.25",
        "O1,2,C1,2024-01-01 10:00:00,P2,1,1.25"); // re-delivered within the file
    CrmlakeConfig config = config(dir.resolve("lake"));
    Lake lake = lake(config);

    IngestResult first = Jobs.ingest(lake, config, conf.toString());
    assertEquals(3, first.inputRows());
    assertEquals(2, first.outputRows());
    assertEquals(1, first.skippedRows());

    IngestResult again = Jobs.ingest(lake, config, conf.toString());
    assertEquals(0, again.inputRows(), "nothing new to read");
    assertEquals(0, again.outputRows());
    assertEquals(2L, lake.read(IngestTables.TRANSACTIONS).count());

    IngestValidationTest.csv(
        landing.resolve("d2.csv"),
        "O2,1,C2,2024-01-02 10:00:00,P1,1,3.50",
        "O1,1,C1,2024-01-01 10:00:00,P1,2,3.50"); // a line already stored
    IngestResult second = Jobs.ingest(lake, config, conf.toString());
    assertEquals(2, second.inputRows(), "only the new file is read");
    assertEquals(1, second.outputRows());
    assertEquals(1, second.skippedRows());
    List<Row> secondFiles =
        lake.read(IngestTables.INGESTED_FILES)
            .where(org.apache.spark.sql.functions.col("rows_read").gt(0))
            .groupBy("ingest_run_id")
            .count()
            .collectAsList();
    assertEquals(2, secondFiles.size(), "one file per run");

    // The first file dropped again (new modification time): read, and all of it is duplicate.
    Files.setLastModifiedTime(
        landing.resolve("d1.csv"), FileTime.from(Instant.now().plusSeconds(60)));
    IngestResult redrop = Jobs.ingest(lake, config, conf.toString());
    assertEquals(3, redrop.inputRows());
    assertEquals(0, redrop.outputRows());
    assertEquals(3, redrop.skippedRows());
    assertEquals(3L, lake.read(IngestTables.TRANSACTIONS).count());
    assertEquals(
        3L, lake.read(IngestTables.TRANSACTIONS_RAW).count(), "bronze stores records once");
    assertEquals(
        4L, lake.read(JobRunLog.JOB_RUNS).where("job = 'ingest' AND status = 'SUCCEEDED'").count());
  }
}
