package io.crmlake.ingest;

import static org.apache.spark.sql.functions.lit;

import io.crmlake.common.run.RunContext;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and validates a source's new files, and reads them again while files change or vanish under
 * it: each attempt is the phases {@code read and validate <source>} and {@code check files of
 * <source>}, and an attempt that finds no new file to leave out is the batch. A file that cannot be
 * ingested as a whole (found by {@link FileHeads}, or unreadable to its end) is rejected; a file
 * that vanishes, or changes while it is read, is left for the next run: none of its rows is kept
 * and it is not recorded, even if what was read of it looked unreadable. Files that keep changing
 * through {@link #READ_ATTEMPTS} attempts fail the run.
 */
final class ReadAttempts {
  private static final Logger LOG = LoggerFactory.getLogger(ReadAttempts.class);

  /** How many times a source is read when files change or vanish while they are read. */
  static final int READ_ATTEMPTS = 3;

  private final RunContext ctx;
  private final SourceSpec spec;
  private final Validator validator;

  ReadAttempts(RunContext ctx, SourceSpec spec, Validator validator) {
    this.ctx = ctx;
    this.spec = spec;
    this.validator = validator;
  }

  /** The validated batch of {@code fresh}, whose heads {@code inspection} looked at. */
  ValidatedBatch read(List<LandingFile> fresh, Inspection inspection) {
    Map<String, String> rejected = new LinkedHashMap<>(inspection.rejected());
    Set<String> left = new LinkedHashSet<>();
    for (String uri : inspection.vanished()) {
      left.add(uri);
      LOG.warn(
          "source {}: file {} vanished after listing; left for the next run", spec.name(), uri);
    }
    for (int attempt = 1; ; attempt++) {
      List<LandingFile> toRead =
          fresh.stream()
              .filter(f -> !rejected.containsKey(f.uri()) && !left.contains(f.uri()))
              .toList();
      if (toRead.isEmpty()) {
        return settled(null, 0, rejected, left);
      }
      ctx.phase("read and validate " + spec.name());
      Dataset<Row> batch = readAndValidate(toRead, inspection, attempt);
      ctx.phase("check files of " + spec.name());
      int before = rejected.size() + left.size();
      long rows = checkFiles(batch, toRead, rejected, left);
      if (rejected.size() + left.size() == before) {
        return settled(batch, rows, rejected, left);
      }
      batch.unpersist();
      if (attempt == READ_ATTEMPTS) {
        throw new IllegalStateException(
            "source "
                + spec.name()
                + ": files kept changing while being read ("
                + READ_ATTEMPTS
                + " attempts); skipped: "
                + left);
      }
    }
  }

  /**
   * The files' validated records, each with the run id and a record number, cached on disk (wide
   * rows: the heap stays free for the writes) until the run ends.
   */
  private Dataset<Row> readAndValidate(
      List<LandingFile> files, Inspection inspection, int attempt) {
    LOG.info(
        "source {}: reading {} files (attempt {} of at most {})",
        spec.name(),
        files.size(),
        attempt,
        READ_ATTEMPTS);
    return ctx.persist(
        validator
            .validate(RawReader.read(ctx.spark(), spec, files, inspection))
            // As many partitions as the run's input makes shuffles (one per task of reading, at
            // most): they are the files each table gets, so a day's batch is not written as a
            // file per task.
            .coalesce(ctx.spark().sessionState().conf().numShufflePartitions())
            .withColumn("ingest_run_id", lit(ctx.runId()))
            .withColumn(IngestJob.ROW, functions.monotonically_increasing_id()),
        StorageLevel.DISK_ONLY());
  }

  /**
   * Adds to {@code rejected} the files that could not be read to their end, and to {@code left}
   * those that vanished or changed since they were listed (what was read of them may be partial);
   * returns the batch's record count.
   */
  private long checkFiles(
      Dataset<Row> batch, List<LandingFile> read, Map<String, String> rejected, Set<String> left) {
    FileCheck check = FileCheck.of(batch);
    check
        .missing()
        .forEach(
            (uri, message) -> {
              left.add(uri);
              LOG.warn("source {}: {}; left for the next run", spec.name(), message);
            });
    rejected.putAll(check.unreadable());
    Configuration conf = ctx.spark().sparkContext().hadoopConfiguration();
    int changed = 0;
    for (LandingFile f : read) {
      String change = LandingFolder.changeSinceListing(f, conf);
      if (change != null && left.add(f.uri())) {
        changed++;
        LOG.warn("source {}: file {} {}; left for the next run", spec.name(), f.uri(), change);
      }
    }
    LOG.info(
        "source {}: {} records in {} files; {} files unreadable, {} gone while read, {} changed since listing",
        spec.name(),
        check.rows(),
        check.files(),
        check.unreadable().size(),
        check.missing().size(),
        changed);
    return check.rows();
  }

  /**
   * The batch as read; a file left for the next run is not also rejected. Each rejected file is
   * warned of: the user must mend it.
   */
  private ValidatedBatch settled(
      Dataset<Row> batch, long rows, Map<String, String> rejected, Set<String> left) {
    rejected.keySet().removeAll(left);
    rejected.forEach(
        (uri, reason) ->
            LOG.warn("source {}: file {} rejected as a whole: {}", spec.name(), uri, reason));
    return new ValidatedBatch(batch, rows, rejected, left);
  }
}
