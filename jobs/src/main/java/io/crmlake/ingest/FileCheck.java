package io.crmlake.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * What one aggregation of a read batch tells about its files: how many records were read, and the
 * files that could not be read to their end, each of which stands in the batch as one {@code
 * FILE_*} row ({@link RawReader#FILE_MISSING}, {@link RawReader#FILE_UNREADABLE}).
 *
 * @param files files with at least one row in the batch
 * @param rows the batch's rows
 * @param unreadable files that could not be read (corrupt compression, I/O errors): URI to reason
 * @param missing files that vanished while being read: URI to message
 */
record FileCheck(
    int files, long rows, Map<String, String> unreadable, Map<String, String> missing) {

  /** Checks a batch of {@link RawReader#RAW_SCHEMA} rows: one aggregation, a row per file. */
  static FileCheck of(Dataset<Row> batch) {
    Column fileError = col("parse_code").isin(RawReader.FILE_MISSING, RawReader.FILE_UNREADABLE);
    return ofFiles(
        batch
            .groupBy("source_file")
            .agg(
                functions.first(when(fileError, col("parse_code")), true),
                functions.first(when(fileError, col("parse_error")), true),
                functions.count(lit(1)))
            .collectAsList());
  }

  /**
   * From rows per file: {@code source_file}, the file's {@code FILE_*} code or null, its message,
   * and its row count.
   */
  static FileCheck ofFiles(List<Row> perFile) {
    long rows = 0;
    Map<String, String> unreadable = new LinkedHashMap<>();
    Map<String, String> missing = new LinkedHashMap<>();
    for (Row r : perFile) {
      rows += r.getLong(3);
      if (r.isNullAt(1)) {
        continue;
      }
      (RawReader.FILE_MISSING.equals(r.getString(1)) ? missing : unreadable)
          .put(r.getString(0), r.getString(2));
    }
    return new FileCheck(perFile.size(), rows, unreadable, missing);
  }
}
