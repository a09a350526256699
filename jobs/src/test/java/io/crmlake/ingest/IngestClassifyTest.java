package io.crmlake.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.testing.SparkTestBase;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * How ingest classifies a batch's records, on a hand-worked batch of ten records from two files (f1
 * sorts before f2) and a source without positions (a Delta table, path ""):
 *
 * <pre>
 * row  line id  file  position  reason      stored as          status
 *  0   A        f1    10        -           -                  VALID      first A
 *  1   A        f2     5        -           -                  DUPLICATE  f2 after f1
 *  2   B        f1    20        BAD_NUMBER  -                  REJECTED   first B
 *  3   C        f1    30        -           from a logged run  DUPLICATE  already stored
 *  4   D        f2    40        -           from f2, unlogged  VALID      the killed run's file
 *  5   E        f2     0        -           -                  DUPLICATE  f2 after f1
 *  6   E        f1    50        -           -                  VALID      first E
 *  7   B        f2    60        MISSING     -                  DUPLICATE  a duplicate first
 *  8   T        ""    -         -           -                  VALID      first read
 *  9   T        ""    -         -           -                  DUPLICATE  read after 8
 * </pre>
 *
 * D is stored twice: once from a logged run, once from f2 by the killed run; the killed run's copy
 * makes it this run's own.
 */
class IngestClassifyTest extends SparkTestBase {
  static final StructType BATCH =
      new StructType()
          .add(IngestJob.ROW, DataTypes.LongType)
          .add("line_id", DataTypes.StringType)
          .add("source_file", DataTypes.StringType)
          .add("file_path", DataTypes.StringType)
          .add("record_pos", DataTypes.LongType)
          .add("item_pos", DataTypes.IntegerType)
          .add("reason_code", DataTypes.StringType)
          .add("tag", DataTypes.LongType);

  static final StructType STORED =
      new StructType()
          .add("line_id", DataTypes.StringType)
          .add("_unlogged_file", DataTypes.StringType);

  /** A record; {@code tag} repeats its number, since classify drops the record number. */
  private static Row rec(long row, String id, String file, Long pos, String reason) {
    return RowFactory.create(row, id, "file:/landing/" + file, file, pos, 0, reason, row);
  }

  private Dataset<Row> batch() {
    return spark.createDataFrame(
        List.of(
            rec(0, "A", "f1", 10L, null),
            rec(1, "A", "f2", 5L, null),
            rec(2, "B", "f1", 20L, "BAD_NUMBER"),
            rec(3, "C", "f1", 30L, null),
            rec(4, "D", "f2", 40L, null),
            rec(5, "E", "f2", 0L, null),
            rec(6, "E", "f1", 50L, null),
            rec(7, "B", "f2", 60L, "MISSING_FIELD"),
            rec(8, "T", "", null, null),
            rec(9, "T", "", null, null)),
        BATCH);
  }

  /** Stored ids, a row per stored record; Z is stored but not in the batch. */
  private Dataset<Row> stored() {
    return spark.createDataFrame(
        List.of(
            RowFactory.create("C", null),
            RowFactory.create("D", null),
            RowFactory.create("D", "file:/landing/f2"),
            RowFactory.create("Z", null)),
        STORED);
  }

  private static Map<Long, String> statuses(Dataset<Row> classified) {
    Map<Long, String> out = new TreeMap<>();
    for (Row r : classified.select("tag", "_status").collectAsList()) {
      out.put(r.getLong(0), r.getString(1));
    }
    return out;
  }

  @Test
  void theFirstRecordOfALineIdWinsAndStoredIdsAreDuplicatesUnlessTheirRunWasKilled() {
    Map<Long, String> expected = new TreeMap<>();
    expected.put(0L, IngestJob.VALID);
    expected.put(1L, IngestJob.DUPLICATE);
    expected.put(2L, IngestJob.REJECTED);
    expected.put(3L, IngestJob.DUPLICATE);
    expected.put(4L, IngestJob.VALID);
    expected.put(5L, IngestJob.DUPLICATE);
    expected.put(6L, IngestJob.VALID);
    expected.put(7L, IngestJob.DUPLICATE);
    expected.put(8L, IngestJob.VALID);
    expected.put(9L, IngestJob.DUPLICATE);

    Dataset<Row> batch = batch();
    Dataset<Row> duplicates = Duplicates.rows(batch, stored(), true);
    assertEquals(List.of(1L, 3L, 5L, 7L, 9L), rowsOf(duplicates));
    assertEquals(expected, statuses(Duplicates.classify(batch, functions.broadcast(duplicates))));
    // A big batch (or many duplicates): the same with shuffle joins, Spark's own broadcasts off.
    String threshold = "spark.sql.autoBroadcastJoinThreshold";
    spark.conf().set(threshold, "-1");
    try {
      Dataset<Row> shuffled = Duplicates.rows(batch, stored(), false);
      assertEquals(List.of(1L, 3L, 5L, 7L, 9L), rowsOf(shuffled));
      Dataset<Row> classified = Duplicates.classify(batch, shuffled);
      assertEquals(expected, statuses(classified));
      String plan = classified.queryExecution().executedPlan().toString();
      assertTrue(!plan.contains("BroadcastHashJoin"), plan);
    } finally {
      spark.conf().unset(threshold);
    }
  }

  /** On a first ingest nothing is stored: only repeats within the batch are duplicates. */
  @Test
  void withNothingStoredOnlyRepeatsWithinTheBatchAreDuplicates() {
    Dataset<Row> batch = batch();
    assertEquals(List.of(1L, 5L, 7L, 9L), rowsOf(Duplicates.rows(batch, null, true)));
  }

  private static List<Long> rowsOf(Dataset<Row> duplicates) {
    return duplicates
        .orderBy(IngestJob.ROW)
        .as(org.apache.spark.sql.Encoders.LONG())
        .collectAsList();
  }
}
