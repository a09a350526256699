package io.crmlake.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import io.crmlake.common.config.Settings;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

/**
 * The driver-side books of ingest's phases, on hand-worked fixtures (no Spark: the phases' Spark
 * parts collect a few rows per file, which these tests give directly).
 *
 * <pre>
 * listing    file   size  logged as      CSV source  Parquet source
 *            a.csv   10   -              new         new
 *            b.csv    0   -              empty       new
 *            c.csv    5   c.csv 5        known       known
 *            d.csv    0   d.csv 0        known       known
 *            e.csv    7   e.csv 6        new         new (it changed)
 *
 * check      file  code             rows   ->  4 files, 10 rows; f2 gone, f3 unreadable
 *            f1    -                 3
 *            f2    FILE_MISSING      1
 *            f3    FILE_UNREADABLE   2
 *            f4    -                 4
 *
 * counts     file  status     reason         n  ->  stored 5, rejected 6, duplicates 5, read 16;
 *            f1    VALID      -              5      BAD_NUMBER 3, MISSING_FIELD 3 (a duplicate's
 *            f1    REJECTED   BAD_NUMBER     2      reason does not count); f1 read 8 = 5 + 2 + 1,
 *            f1    DUPLICATE  -              1      f2 read 8 = 0 + 4 + 4
 *            f2    REJECTED   MISSING_FIELD  3
 *            f2    REJECTED   BAD_NUMBER     1
 *            f2    DUPLICATE  MISSING_FIELD  4
 * </pre>
 */
class IngestPhasesTest {
  private static SourceSpec spec(String format) {
    return SourceSpec.parse(
        new Settings(
            ConfigFactory.parseString(
                "name = t\nlocation = /tmp/t\nformat = "
                    + format
                    + "\nheader = true\nfields { order-id = a, product-id = b, amount = c }"),
            Path.of(".")),
        "t.conf",
        "UTC");
  }

  private static LandingFile file(String name, long size) {
    return new LandingFile("file:/landing/" + name, name, size, 1000L);
  }

  private static final List<LandingFile> LISTED =
      List.of(
          file("a.csv", 10),
          file("b.csv", 0),
          file("c.csv", 5),
          file("d.csv", 0),
          file("e.csv", 7));

  private static final Set<String> LOGGED =
      Set.of(
          FileLog.key(file("c.csv", 5)),
          FileLog.key(file("d.csv", 0)),
          FileLog.key(file("e.csv", 6)));

  @Test
  void aListingLeavesOutLoggedFilesAndRecordsEmptyTextFilesWithoutReadingThem() {
    Listing csv = Listing.of(spec("csv"), LISTED, LOGGED);
    assertEquals(5, csv.listed());
    assertEquals(List.of(file("a.csv", 10), file("e.csv", 7)), csv.fresh());
    assertEquals(List.of(file("b.csv", 0)), csv.empty());
    assertEquals(17, csv.freshBytes());

    Listing parquet = Listing.of(spec("parquet"), LISTED, LOGGED);
    assertEquals(List.of(file("a.csv", 10), file("b.csv", 0), file("e.csv", 7)), parquet.fresh());
    assertEquals(List.of(), parquet.empty());
  }

  @Test
  void theCheckCountsEveryRowAndSortsFileRowsIntoGoneAndUnreadable() {
    FileCheck check =
        FileCheck.ofFiles(
            List.of(
                RowFactory.create("f1", null, null, 3L),
                RowFactory.create("f2", RawReader.FILE_MISSING, "the file vanished", 1L),
                RowFactory.create("f3", RawReader.FILE_UNREADABLE, "cannot read the file", 2L),
                RowFactory.create("f4", null, null, 4L)));
    assertEquals(4, check.files());
    assertEquals(10, check.rows());
    assertEquals(Map.of("f2", "the file vanished"), check.missing());
    assertEquals(Map.of("f3", "cannot read the file"), check.unreadable());
  }

  private static RecordCounts counts() {
    return RecordCounts.ofGroups(
        List.of(
            RowFactory.create("f1", IngestJob.VALID, null, 5L),
            RowFactory.create("f1", IngestJob.REJECTED, "BAD_NUMBER", 2L),
            RowFactory.create("f1", IngestJob.DUPLICATE, null, 1L),
            RowFactory.create("f2", IngestJob.REJECTED, "MISSING_FIELD", 3L),
            RowFactory.create("f2", IngestJob.REJECTED, "BAD_NUMBER", 1L),
            RowFactory.create("f2", IngestJob.DUPLICATE, "MISSING_FIELD", 4L)));
  }

  @Test
  void recordsAreCountedByStatusByReasonAndPerFileAndAddUp() {
    RecordCounts c = counts();
    assertEquals(
        List.of(5L, 6L, 5L, 16L), List.of(c.stored(), c.rejected(), c.duplicates(), c.read()));
    assertEquals(
        List.of("BAD_NUMBER", "MISSING_FIELD"), List.copyOf(c.rejectedByReason().keySet()));
    assertEquals(List.of(3L, 3L), List.copyOf(c.rejectedByReason().values()));
    assertEquals(new RecordCounts.FileCounts(8, 5, 2, 1), c.perFile().get("f1"));
    assertEquals(new RecordCounts.FileCounts(8, 0, 4, 4), c.perFile().get("f2"));
  }

  /**
   * The file log of a run with new files a, e and g and the empty b: g was rejected as a whole, e
   * changed while read (left for the next run, no row), a was read (its records are counted as file
   * f1 above, here under a's URI). Rows: g REJECTED with its reason, then a and b INGESTED.
   */
  @Test
  void theFileLogHasTheRejectedFilesThenTheFilesReadAndTheEmptyOnesButNoneLeftForTheNextRun() {
    Listing listing =
        new Listing(
            4,
            List.of(file("a.csv", 10), file("e.csv", 7), file("g.csv", 3)),
            List.of(file("b.csv", 0)));
    ValidatedBatch batch =
        new ValidatedBatch(
            null,
            8,
            Map.of("file:/landing/g.csv", "its header has no column 'a'"),
            new LinkedHashSet<>(List.of("file:/landing/e.csv")));
    RecordCounts c = counts();
    RecordCounts counted =
        new RecordCounts(
            c.stored(),
            c.rejected(),
            c.duplicates(),
            c.rejectedByReason(),
            Map.of("file:/landing/a.csv", c.perFile().get("f1")));
    assertEquals(List.of(file("a.csv", 10)), batch.filesRead(listing.fresh()));
    List<Row> rows = FileLog.rows("run-1", spec("csv"), listing, batch, counted);
    assertEquals(3, rows.size());
    assertEquals(
        List.of("t", "file:/landing/g.csv", "g.csv", 3L, new Timestamp(1000L), 0L, 0L, 0L, 0L),
        head(rows.get(0)));
    assertEquals(List.of("run-1", "REJECTED", "its header has no column 'a'"), tail(rows.get(0)));
    assertEquals(
        List.of("t", "file:/landing/a.csv", "a.csv", 10L, new Timestamp(1000L), 8L, 5L, 2L, 1L),
        head(rows.get(1)));
    assertEquals("INGESTED", rows.get(1).getString(10));
    assertNull(rows.get(1).get(11));
    assertEquals(
        List.of("t", "file:/landing/b.csv", "b.csv", 0L, new Timestamp(1000L), 0L, 0L, 0L, 0L),
        head(rows.get(2)));
    assertEquals("INGESTED", rows.get(2).getString(10));
    assertEquals(IngestTables.INGESTED_FILES.schema().size(), rows.get(0).size());
  }

  private static List<Object> head(Row r) {
    return List.of(
        r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7), r.get(8));
  }

  private static List<Object> tail(Row r) {
    return List.of(r.get(9), r.get(10), r.get(11));
  }
}
