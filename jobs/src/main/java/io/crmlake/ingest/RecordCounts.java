package io.crmlake.ingest;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A source's classified records counted by status ({@link IngestJob#VALID} = stored, {@link
 * IngestJob#REJECTED}, {@link IngestJob#DUPLICATE}), by reject reason and per file.
 *
 * @param rejectedByReason rejected records per reason code, sorted by code
 * @param perFile counts per file URI
 */
record RecordCounts(
    long stored,
    long rejected,
    long duplicates,
    Map<String, Long> rejectedByReason,
    Map<String, FileCounts> perFile) {

  /** A source of which no record was read. */
  static final RecordCounts NONE = new RecordCounts(0, 0, 0, Map.of(), Map.of());

  /** Every record read is stored, rejected or skipped as a duplicate. */
  long read() {
    return stored + rejected + duplicates;
  }

  /** Counts classified records in one pass: a few rows per file reach the driver. */
  static RecordCounts of(Dataset<Row> classified) {
    return ofGroups(
        classified.groupBy("source_file", "_status", "reason_code").count().collectAsList());
  }

  /** From rows of {@code source_file}, {@code _status}, {@code reason_code} and their count. */
  static RecordCounts ofGroups(List<Row> groups) {
    Map<String, Long> byStatus = new HashMap<>();
    Map<String, Long> byReason = new TreeMap<>();
    Map<String, FileCounts> perFile = new HashMap<>();
    for (Row r : groups) {
      String status = r.getString(1);
      long n = r.getLong(3);
      byStatus.merge(status, n, Long::sum);
      if (IngestJob.REJECTED.equals(status)) {
        byReason.merge(r.getString(2), n, Long::sum);
      }
      perFile.merge(r.getString(0), FileCounts.of(status, n), FileCounts::plus);
    }
    return new RecordCounts(
        byStatus.getOrDefault(IngestJob.VALID, 0L),
        byStatus.getOrDefault(IngestJob.REJECTED, 0L),
        byStatus.getOrDefault(IngestJob.DUPLICATE, 0L),
        byReason,
        perFile);
  }

  /** A file's records by outcome. */
  record FileCounts(long read, long stored, long rejected, long duplicates) {
    static final FileCounts NONE = new FileCounts(0, 0, 0, 0);

    static FileCounts of(String status, long n) {
      return new FileCounts(
          n,
          IngestJob.VALID.equals(status) ? n : 0,
          IngestJob.REJECTED.equals(status) ? n : 0,
          IngestJob.DUPLICATE.equals(status) ? n : 0);
    }

    FileCounts plus(FileCounts o) {
      return new FileCounts(
          read + o.read, stored + o.stored, rejected + o.rejected, duplicates + o.duplicates);
    }
  }
}
