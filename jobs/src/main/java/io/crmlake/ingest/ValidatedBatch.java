package io.crmlake.ingest;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What reading a source's new files gave ({@link ReadAttempts}): the validated records and the
 * files that were not read.
 *
 * @param rows the validated records of the files read, each numbered in {@link IngestJob#ROW} and
 *     cached on disk; null when no file could be read
 * @param rowCount how many records {@code rows} has
 * @param rejectedFiles files quarantined as a whole: URI to reason, in the order they were found
 * @param leftForNextRun URIs of files that vanished or changed while being read: not recorded
 */
record ValidatedBatch(
    Dataset<Row> rows,
    long rowCount,
    Map<String, String> rejectedFiles,
    Set<String> leftForNextRun) {

  /** Of {@code fresh}, the files read: neither rejected nor left for the next run. */
  List<LandingFile> filesRead(List<LandingFile> fresh) {
    return fresh.stream()
        .filter(f -> !rejectedFiles.containsKey(f.uri()) && !leftForNextRun.contains(f.uri()))
        .toList();
  }

  /** Of {@code fresh}, the files rejected as a whole, in listing order. */
  List<LandingFile> filesRejected(List<LandingFile> fresh) {
    return fresh.stream().filter(f -> rejectedFiles.containsKey(f.uri())).toList();
  }
}
