package io.crmlake.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.Outputs;
import io.crmlake.common.run.RunContext;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ingest: landing files → {@code bronze.transactions_raw} → {@code silver.transactions} + {@code
 * silver.transactions_rejected}.
 *
 * <p>Run with {@code bin/crmlake ingest [--source conf/sources/X.conf]}; without {@code --source}
 * it ingests every source in {@code ingest.sources}. Per source it reads only files it has not
 * ingested before ({@code ops.ingested_files}: path, size and modification time), validates every
 * record ({@link Validator}), and stores each record exactly once: a record whose line id is
 * already stored, or repeats within the batch, is counted as a duplicate and skipped. Every record
 * read is stored, rejected or skipped as a duplicate, and the three counts add up to the rows read.
 * Every source is read and validated before anything is written; then each table gets one Delta
 * commit for the whole run, silver last but for the file log, so a run that fails leaves silver as
 * it was and a re-run completes it without duplicates.
 */
public final class IngestJob implements Job<IngestResult> {
  private static final Logger LOG = LoggerFactory.getLogger(IngestJob.class);
  static final String VALID = "VALID";
  static final String REJECTED = "REJECTED";
  static final String DUPLICATE = "DUPLICATE";

  /** Column that numbers the records of a batch (unique within it) while it is classified. */
  static final String ROW = "_row";

  /**
   * Most duplicates a batch is classified with by sending their record numbers to every task; more
   * (a whole history delivered again) are joined with one shuffle. 1,000,000 record numbers take
   * about 20 MB.
   */
  static final long BROADCAST_DUPLICATES = 1_000_000;

  /**
   * Most records a batch may have for its line ids to be sent to every task that reads the stored
   * ids (a day's files: the stored ids are then only filtered, not shuffled); a bigger batch is
   * matched with them by a shuffle join. 1,000,000 line ids take about 50 MB.
   */
  static final long BROADCAST_ROWS = 1_000_000;

  private final IngestSettings settings;

  public IngestJob(IngestSettings settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return "ingest";
  }

  @Override
  public List<Table> outputs() {
    return IngestTables.ALL;
  }

  @Override
  public Optional<Table> mainInput() {
    return Optional.of(IngestTables.TRANSACTIONS);
  }

  @Override
  public Outputs<IngestResult> compute(RunContext ctx) {
    Lake lake = ctx.lake();
    Dataset<Row> storedIds = storedLineIds(lake);
    List<IngestResult.SourceCounts> counts = new ArrayList<>();
    Dataset<Row> batches = null;
    List<Row> files = new ArrayList<>();
    for (SourceSpec spec : settings.sources()) {
      Batch b = validateSource(ctx, spec, storedIds, files);
      counts.add(b.counts());
      if (b.rows() != null) {
        batches = batches == null ? b.rows() : batches.unionByName(b.rows());
      }
    }
    IngestResult result = IngestResult.of(counts);
    if (result.inputRows()
        != result.outputRows() + result.quarantinedRows() + result.skippedRows()) {
      throw new IllegalStateException(
          String.format(
              "row conservation broken: read %d != stored %d + rejected %d + duplicates %d",
              result.inputRows(),
              result.outputRows(),
              result.quarantinedRows(),
              result.skippedRows()));
    }
    // Silver last but for the file log: a run that fails between the writes leaves no file marked
    // ingested whose rows are missing, and its re-run inserts only the rows not yet stored.
    Outputs.Builder<IngestResult> out = Outputs.of(result);
    if (batches != null) {
      out.write(
          IngestTables.TRANSACTIONS_RAW,
          bronzeRows(batches.where(col("_status").notEqual(DUPLICATE))));
      if (result.quarantinedRows() > 0 || !lake.exists(IngestTables.TRANSACTIONS_REJECTED)) {
        out.write(
            IngestTables.TRANSACTIONS_REJECTED,
            rejectedRows(batches.where(col("_status").equalTo(REJECTED))));
      }
      out.write(
          IngestTables.TRANSACTIONS, silverRows(batches.where(col("_status").equalTo(VALID))));
    }
    if (!files.isEmpty()) {
      out.write(
          IngestTables.INGESTED_FILES,
          ctx.spark().createDataFrame(files, IngestTables.INGESTED_FILES.schema()));
    }
    return out.build();
  }

  /** One source's classified records (null when it has no new file) and counts. */
  private record Batch(Dataset<Row> rows, IngestResult.SourceCounts counts) {}

  /** How many times a source is read when files change or vanish while they are read. */
  private static final int READ_ATTEMPTS = 3;

  /**
   * Lists a source's new files, reads and validates them and classifies every record; adds a row
   * per new file to {@code files}. The validated batch is cached on disk (wide rows: the heap stays
   * free for the writes) until the run ends, and so are the record numbers of its duplicates. The
   * classified rows it returns join the two again for each count and write (the duplicates sent to
   * every task); above {@link #BROADCAST_DUPLICATES} they are joined once and cached on disk too.
   *
   * <p>A file that cannot be ingested as a whole (a header without a required column, an unreadable
   * compressed stream, a broken Parquet footer) is quarantined: recorded in {@code
   * ops.ingested_files} with status {@code REJECTED} and the reason, not read again until it
   * changes, and the run's other files are ingested. A file that vanishes, or changes while it is
   * read, is left for the next run: none of its rows is kept and it is not recorded.
   */
  private Batch validateSource(
      RunContext ctx, SourceSpec spec, Dataset<Row> storedIds, List<Row> files) {
    SparkSession spark = ctx.spark();
    ctx.phase("list landing files of " + spec.name());
    List<LandingFile> listed =
        RawReader.listFiles(spec, spark.sparkContext().hadoopConfiguration());
    Set<String> known = knownFiles(ctx.lake(), spec.name());
    List<LandingFile> fresh = new ArrayList<>();
    List<LandingFile> empty = new ArrayList<>();
    for (LandingFile f : listed) {
      if (known.contains(fileKey(f))) {
        continue;
      }
      (f.size() == 0 && spec.lineBased() ? empty : fresh).add(f);
    }
    LOG.info(
        "source {}: {} files at {}, {} new, {} new and empty",
        spec.name(),
        listed.size(),
        spec.location(),
        fresh.size(),
        empty.size());
    ctx.addInputBytes(fresh.stream().mapToLong(LandingFile::size).sum());
    for (LandingFile f : empty) {
      LOG.warn("source {}: file {} is empty; recorded, nothing to ingest", spec.name(), f.uri());
    }
    Map<String, String> rejectedFiles = new LinkedHashMap<>();
    RawReader.Inspection inspection = null;
    if (!fresh.isEmpty()) {
      ctx.phase("inspect file heads of " + spec.name());
      inspection = RawReader.inspect(spark, spec, fresh);
      rejectedFiles.putAll(inspection.rejected());
    }
    Set<String> skipped = new HashSet<>();
    if (inspection != null) {
      for (String uri : inspection.vanished()) {
        skipped.add(uri);
        LOG.warn(
            "source {}: file {} vanished after listing; left for the next run", spec.name(), uri);
      }
    }
    Dataset<Row> batch = null;
    long batchRows = 0;
    Validator validator = new Validator(spec, settings.limits(ctx.startedAt()));
    for (int attempt = 1; ; attempt++) {
      List<LandingFile> toRead = new ArrayList<>();
      for (LandingFile f : fresh) {
        if (!rejectedFiles.containsKey(f.uri()) && !skipped.contains(f.uri())) {
          toRead.add(f);
        }
      }
      if (toRead.isEmpty()) {
        break;
      }
      ctx.phase("read and validate " + spec.name());
      batch =
          ctx.persist(
              validator
                  .validate(RawReader.read(spark, spec, toRead, inspection))
                  // As many partitions as the run's input makes shuffles (one per task of reading,
                  // at most): they are the files each table gets, so a day's batch is not written
                  // as a file per task.
                  .coalesce(spark.sessionState().conf().numShufflePartitions())
                  .withColumn("ingest_run_id", lit(ctx.runId()))
                  .withColumn(ROW, functions.monotonically_increasing_id()),
              StorageLevel.DISK_ONLY());
      ctx.phase("check files of " + spec.name());
      int before = rejectedFiles.size() + skipped.size();
      batchRows = 0;
      // Per file (a row each): its records, and what stands for the file if it could not be read.
      Column fileError = col("parse_code").isin(RawReader.FILE_MISSING, RawReader.FILE_UNREADABLE);
      for (Row r :
          batch
              .groupBy("source_file")
              .agg(
                  functions.first(when(fileError, col("parse_code")), true),
                  functions.first(when(fileError, col("parse_error")), true),
                  functions.count(lit(1)))
              .collectAsList()) {
        batchRows += r.getLong(3);
        if (r.isNullAt(1)) {
          continue;
        }
        if (RawReader.FILE_MISSING.equals(r.getString(1))) {
          skipped.add(r.getString(0));
          LOG.warn("source {}: {}; left for the next run", spec.name(), r.getString(2));
        } else {
          rejectedFiles.put(r.getString(0), r.getString(2));
        }
      }
      // Files that changed or vanished since they were listed: what was read may be partial.
      for (LandingFile f : toRead) {
        String change = changeSinceListing(spark, f);
        if (change != null && skipped.add(f.uri())) {
          LOG.warn("source {}: file {} {}; left for the next run", spec.name(), f.uri(), change);
        }
      }
      if (rejectedFiles.size() + skipped.size() == before) {
        break;
      }
      batch.unpersist();
      batch = null;
      if (attempt == READ_ATTEMPTS) {
        throw new IllegalStateException(
            "source "
                + spec.name()
                + ": files kept changing while being read ("
                + READ_ATTEMPTS
                + " attempts); skipped: "
                + skipped);
      }
    }
    // A file that changed while being read is left for the next run, even if what was read of it
    // looked unreadable.
    rejectedFiles.keySet().removeAll(skipped);
    rejectedFiles.forEach(
        (uri, reason) ->
            LOG.warn("source {}: file {} rejected as a whole: {}", spec.name(), uri, reason));
    List<LandingFile> rejectedList = new ArrayList<>();
    List<LandingFile> readList = new ArrayList<>();
    for (LandingFile f : fresh) {
      if (rejectedFiles.containsKey(f.uri())) {
        rejectedList.add(f);
      } else if (!skipped.contains(f.uri())) {
        readList.add(f);
      }
    }
    files.addAll(fileRows(ctx, spec, rejectedList, Map.of(), rejectedFiles));
    if (batch == null) {
      files.addAll(fileRows(ctx, spec, empty, Map.of(), Map.of()));
      return new Batch(
          null,
          new IngestResult.SourceCounts(
              spec.name(),
              readList.size(),
              empty.size(),
              0,
              0,
              0,
              0,
              Map.of(),
              rejectedFiles,
              skipped.size()));
    }
    ctx.phase("find duplicates of " + spec.name());
    Dataset<Row> duplicates =
        ctx.persist(duplicateRows(batch, storedIds, batchRows <= BROADCAST_ROWS));
    long duplicateCount = duplicates.count();
    Dataset<Row> classified;
    if (duplicateCount <= BROADCAST_DUPLICATES) {
      classified = classify(batch, functions.broadcast(duplicates));
    } else {
      // Too many to send to every task: one shuffle join, kept on disk for the counts and writes.
      classified = ctx.persist(classify(batch, duplicates), StorageLevel.DISK_ONLY());
    }
    ctx.phase("count records of " + spec.name());
    Map<String, Long> byStatus = new HashMap<>();
    Map<String, Long> byReason = new TreeMap<>();
    Map<String, FileCounts> perFile = new HashMap<>();
    // One pass: per file, status and reason (a few rows per file).
    for (Row r :
        classified.groupBy("source_file", "_status", "reason_code").count().collectAsList()) {
      String status = r.getString(1);
      long n = r.getLong(3);
      byStatus.merge(status, n, Long::sum);
      if (REJECTED.equals(status)) {
        byReason.merge(r.getString(2), n, Long::sum);
      }
      perFile.merge(r.getString(0), FileCounts.of(status, n), FileCounts::plus);
    }
    long valid = byStatus.getOrDefault(VALID, 0L);
    long rejected = byStatus.getOrDefault(REJECTED, 0L);
    long dups = byStatus.getOrDefault(DUPLICATE, 0L);
    long read = valid + rejected + dups;
    List<LandingFile> recorded = new ArrayList<>(readList);
    recorded.addAll(empty);
    files.addAll(fileRows(ctx, spec, recorded, perFile, Map.of()));
    LOG.info(
        "source {}: read {} = stored {} + duplicates {} + rejected {} {}; files rejected {},"
            + " left for the next run {}",
        spec.name(),
        read,
        valid,
        dups,
        rejected,
        byReason,
        rejectedFiles.size(),
        skipped.size());
    return new Batch(
        classified,
        new IngestResult.SourceCounts(
            spec.name(),
            readList.size(),
            empty.size(),
            read,
            valid,
            rejected,
            dups,
            byReason,
            rejectedFiles,
            skipped.size()));
  }

  /** How a file differs from its listing (size, time, gone), or null when it is unchanged. */
  private static String changeSinceListing(SparkSession spark, LandingFile f) {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(f.uri());
    try {
      org.apache.hadoop.fs.FileStatus now =
          p.getFileSystem(spark.sparkContext().hadoopConfiguration()).getFileStatus(p);
      if (now.getLen() != f.size() || now.getModificationTime() != f.modificationTime()) {
        return "changed while being read (size " + f.size() + " -> " + now.getLen() + " bytes)";
      }
      return null;
    } catch (java.io.FileNotFoundException e) {
      return "vanished while being read";
    } catch (java.io.IOException e) {
      return "cannot be checked after reading: " + e;
    }
  }

  /**
   * The {@link #ROW} numbers of a batch's duplicate records: those whose line id is already stored,
   * or that an earlier record of the batch has (the first by file path and position wins, then the
   * first read: a Delta source's records have no position). A line stored from this same file by a
   * run that was killed before it logged the file is not a duplicate: this run takes over that
   * file's books (the insert-only writes do not store it again). Only ids and positions are
   * shuffled, not the records. The record numbers come from the cached batch, so they match the
   * batch the duplicates are joined with.
   *
   * @param stored the stored line ids ({@link #storedLineIds}), null when nothing is stored yet
   * @param smallBatch whether the batch's line ids are few enough to send to every task
   */
  static Dataset<Row> duplicateRows(
      Dataset<Row> validated, Dataset<Row> stored, boolean smallBatch) {
    Dataset<Row> ranked =
        validated
            .select(ROW, "line_id", "source_file", "file_path", "record_pos", "item_pos")
            .withColumn(
                "_rank",
                functions
                    .row_number()
                    .over(
                        Window.partitionBy("line_id")
                            .orderBy("file_path", "record_pos", "item_pos", ROW)));
    Column duplicate = col("_rank").gt(1);
    if (stored != null) {
      // Only the stored ids the batch has matter: a day's batch filters them without a shuffle.
      Dataset<Row> ids = validated.select("line_id");
      Dataset<Row> storedIds =
          stored
              .join(smallBatch ? functions.broadcast(ids) : ids, "line_id", "left_semi")
              .groupBy("line_id")
              .agg(functions.max("_unlogged_file").as("_unlogged_file"));
      ranked =
          ranked.join(
              storedIds.select(col("line_id"), lit(true).as("_stored"), col("_unlogged_file")),
              "line_id",
              "left");
      Column resumed =
          functions.coalesce(col("_unlogged_file").equalTo(col("source_file")), lit(false));
      duplicate =
          duplicate.or(functions.coalesce(col("_stored"), lit(false)).and(functions.not(resumed)));
    }
    return ranked.where(duplicate).select(ROW);
  }

  /**
   * Marks each validated record DUPLICATE (its {@link #ROW} is in {@code duplicateRows}), REJECTED
   * (it has a reason) or VALID, in {@code _status}.
   */
  static Dataset<Row> classify(Dataset<Row> validated, Dataset<Row> duplicateRows) {
    Column status =
        when(col("_duplicate").isNotNull(), DUPLICATE)
            .when(col("reason_code").isNotNull(), REJECTED)
            .otherwise(VALID);
    return validated
        .join(duplicateRows.select(col(ROW), lit(true).as("_duplicate")), ROW, "left")
        .withColumn("_status", status)
        .drop("_duplicate", ROW);
  }

  /** A file's records by outcome. */
  private record FileCounts(long read, long stored, long rejected, long duplicates) {
    static FileCounts of(String status, long n) {
      return new FileCounts(
          n,
          VALID.equals(status) ? n : 0,
          REJECTED.equals(status) ? n : 0,
          DUPLICATE.equals(status) ? n : 0);
    }

    FileCounts plus(FileCounts o) {
      return new FileCounts(
          read + o.read, stored + o.stored, rejected + o.rejected, duplicates + o.duplicates);
    }
  }

  /**
   * Line ids already in silver or in quarantine (null when neither table exists yet), a row per
   * stored record, each with {@code _unlogged_file}: the file it was stored from when the run that
   * stored it did not log that file in ops.ingested_files (it was killed in between), else null.
   */
  private static Dataset<Row> storedLineIds(Lake lake) {
    Dataset<Row> ids = null;
    for (var t : List.of(IngestTables.TRANSACTIONS, IngestTables.TRANSACTIONS_REJECTED)) {
      if (lake.exists(t)) {
        Dataset<Row> these = lake.read(t).select("line_id", "source_file", "ingest_run_id");
        ids = ids == null ? these : ids.unionByName(these);
      }
    }
    if (ids == null) {
      return null;
    }
    if (!lake.exists(IngestTables.INGESTED_FILES)) {
      return ids.select(col("line_id"), col("source_file").as("_unlogged_file"));
    }
    Dataset<Row> logged =
        lake.read(IngestTables.INGESTED_FILES)
            .select(
                col("file_uri").as("source_file"), col("ingest_run_id"), lit(true).as("_logged"))
            .distinct();
    return ids.join(logged, new String[] {"source_file", "ingest_run_id"}, "left")
        .select(
            col("line_id"), when(col("_logged").isNull(), col("source_file")).as("_unlogged_file"));
  }

  static Dataset<Row> silverRows(Dataset<Row> batch) {
    return batch.select(
        col("line_id"),
        col("source"),
        col("order_id"),
        col("customer_id"),
        col("order_ts"),
        col("order_date"),
        col("product_id"),
        col("product_name"),
        col("category"),
        col("quantity"),
        col("unit_price"),
        col("amount"),
        col("is_return"),
        col("source_file"),
        col("ingest_run_id"),
        current_timestamp().as("ingested_at"));
  }

  static Dataset<Row> rejectedRows(Dataset<Row> batch) {
    return batch.select(
        col("line_id"),
        col("source"),
        col("source_file"),
        col("record_pos"),
        col("item_pos"),
        col("raw_record"),
        col("reason_code"),
        col("reason"),
        col("ingest_run_id"),
        current_timestamp().as("rejected_at"));
  }

  static Dataset<Row> bronzeRows(Dataset<Row> batch) {
    return batch.select(
        col("line_id"),
        col("source"),
        col("source_file"),
        col("file_path"),
        col("record_pos"),
        col("item_pos"),
        col("raw_record"),
        col("fields"),
        col("parse_error"),
        col("ingest_run_id"),
        current_timestamp().as("ingested_at"));
  }

  private static String fileKey(LandingFile f) {
    return f.relativePath() + "\u001f" + f.size() + "\u001f" + f.modificationTime();
  }

  /** Files of this source ingested by earlier runs (one row per file: metadata, not data). */
  private static Set<String> knownFiles(Lake lake, String source) {
    Set<String> known = new HashSet<>();
    if (!lake.exists(IngestTables.INGESTED_FILES)) {
      return known;
    }
    for (Row r :
        lake.read(IngestTables.INGESTED_FILES)
            .where(col("source").equalTo(source))
            .select("file_path", "size_bytes", "modification_time")
            .collectAsList()) {
      known.add(r.getString(0) + "\u001f" + r.getLong(1) + "\u001f" + r.getTimestamp(2).getTime());
    }
    return known;
  }

  private static List<Row> fileRows(
      RunContext ctx,
      SourceSpec spec,
      List<LandingFile> files,
      Map<String, FileCounts> perFile,
      Map<String, String> rejected) {
    List<Row> rows = new ArrayList<>();
    for (LandingFile f : files) {
      FileCounts c = perFile.get(f.uri());
      String reason = rejected.get(f.uri());
      rows.add(
          RowFactory.create(
              spec.name(),
              f.uri(),
              f.relativePath(),
              f.size(),
              new Timestamp(f.modificationTime()),
              c == null ? 0L : c.read(),
              c == null ? 0L : c.stored(),
              c == null ? 0L : c.rejected(),
              c == null ? 0L : c.duplicates(),
              ctx.runId(),
              reason == null ? "INGESTED" : "REJECTED",
              reason));
    }
    return rows;
  }
}
