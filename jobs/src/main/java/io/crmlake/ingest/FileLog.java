package io.crmlake.ingest;

import static org.apache.spark.sql.functions.col;

import io.crmlake.common.lake.Lake;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The file log, {@code ops.ingested_files}: which files earlier runs ingested or rejected (what
 * makes ingest incremental), and the rows a run adds for the files it settled. A file left for the
 * next run gets no row.
 */
final class FileLog {
  static final String INGESTED = "INGESTED";
  static final String REJECTED = "REJECTED";

  private FileLog() {}

  /** What identifies a file in the log: its path below the location, size and time. */
  static String key(LandingFile f) {
    return key(f.relativePath(), f.size(), f.modificationTime());
  }

  private static String key(String relativePath, long size, long modificationTime) {
    return relativePath + "\u001f" + size + "\u001f" + modificationTime;
  }

  /** Keys of this source's files logged by earlier runs (a row per file: metadata, not data). */
  static Set<String> knownFiles(Lake lake, String source) {
    Set<String> known = new HashSet<>();
    if (!lake.exists(IngestTables.INGESTED_FILES)) {
      return known;
    }
    for (Row r :
        lake.read(IngestTables.INGESTED_FILES)
            .where(col("source").equalTo(source))
            .select("file_path", "size_bytes", "modification_time")
            .collectAsList()) {
      known.add(key(r.getString(0), r.getLong(1), r.getTimestamp(2).getTime()));
    }
    return known;
  }

  /**
   * The {@link IngestTables#INGESTED_FILES} rows of one source in one run: the files rejected as a
   * whole (with their reason), then the files read and the empty ones (with their records' counts).
   */
  static List<Row> rows(
      String runId, SourceSpec spec, Listing listing, ValidatedBatch batch, RecordCounts counts) {
    List<Row> rows = new ArrayList<>();
    for (LandingFile f : batch.filesRejected(listing.fresh())) {
      rows.add(
          row(runId, spec, f, RecordCounts.FileCounts.NONE, batch.rejectedFiles().get(f.uri())));
    }
    List<LandingFile> recorded = new ArrayList<>(batch.filesRead(listing.fresh()));
    recorded.addAll(listing.empty());
    for (LandingFile f : recorded) {
      rows.add(
          row(
              runId,
              spec,
              f,
              counts.perFile().getOrDefault(f.uri(), RecordCounts.FileCounts.NONE),
              null));
    }
    return rows;
  }

  private static Row row(
      String runId, SourceSpec spec, LandingFile f, RecordCounts.FileCounts c, String reason) {
    return RowFactory.create(
        spec.name(),
        f.uri(),
        f.relativePath(),
        f.size(),
        new Timestamp(f.modificationTime()),
        c.read(),
        c.stored(),
        c.rejected(),
        c.duplicates(),
        runId,
        reason == null ? INGESTED : REJECTED,
        reason);
  }
}
