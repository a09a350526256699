package io.crmlake.ingest;

import io.crmlake.common.run.JobResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an ingest run did: read = stored + rejected + duplicates, in total and per source.
 *
 * @param inputRows records read from new files
 * @param outputRows records stored in silver.transactions
 * @param quarantinedRows records rejected to silver.transactions_rejected
 * @param skippedRows records skipped as duplicates
 * @param sources the counts of each source
 */
public record IngestResult(
    long inputRows,
    long outputRows,
    long quarantinedRows,
    long skippedRows,
    List<SourceCounts> sources)
    implements JobResult {

  /**
   * Counts of one source in one run.
   *
   * @param newFiles files read
   * @param emptyFiles empty files (recorded, nothing to read)
   * @param rejectedFiles files quarantined as a whole: URI to reason
   * @param skippedFiles files that changed or vanished while being read, left for the next run
   */
  public record SourceCounts(
      String source,
      int newFiles,
      int emptyFiles,
      long read,
      long stored,
      long rejected,
      long duplicates,
      Map<String, Long> rejectedByReason,
      Map<String, String> rejectedFiles,
      int skippedFiles) {}

  /** Files quarantined as a whole by this run, over all sources. */
  public int rejectedFiles() {
    return sources.stream().mapToInt(c -> c.rejectedFiles().size()).sum();
  }

  static IngestResult of(List<SourceCounts> sources) {
    long read = 0;
    long stored = 0;
    long rejected = 0;
    long duplicates = 0;
    for (SourceCounts c : sources) {
      read += c.read();
      stored += c.stored();
      rejected += c.rejected();
      duplicates += c.duplicates();
    }
    return new IngestResult(read, stored, rejected, duplicates, List.copyOf(sources));
  }

  /**
   * Per source: {@code <source>.files}, {@code .empty_files}, {@code .rejected_files}, {@code
   * .skipped_files}, {@code .rejected.<reason>}.
   */
  @Override
  public Map<String, String> metrics() {
    Map<String, String> m = new LinkedHashMap<>();
    for (SourceCounts c : sources) {
      m.put(c.source() + ".files", String.valueOf(c.newFiles()));
      m.put(c.source() + ".empty_files", String.valueOf(c.emptyFiles()));
      m.put(c.source() + ".rejected_files", String.valueOf(c.rejectedFiles().size()));
      m.put(c.source() + ".skipped_files", String.valueOf(c.skippedFiles()));
      c.rejectedByReason()
          .forEach((k, v) -> m.put(c.source() + ".rejected." + k, String.valueOf(v)));
    }
    return m;
  }
}
