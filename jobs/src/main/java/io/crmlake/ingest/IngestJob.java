package io.crmlake.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Tables;
import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.RunContext;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
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
 * Each table is written in one Delta commit, silver last but for the file log, so a run that fails
 * leaves silver as it was and a re-run completes it without duplicates.
 */
public final class IngestJob {
  private static final Logger LOG = LoggerFactory.getLogger(IngestJob.class);
  static final String VALID = "VALID";
  static final String REJECTED = "REJECTED";
  static final String DUPLICATE = "DUPLICATE";

  static final StructType FILES_SCHEMA =
      new StructType()
          .add("source", DataTypes.StringType, false)
          .add("file_uri", DataTypes.StringType, false)
          .add("file_path", DataTypes.StringType, false)
          .add("size_bytes", DataTypes.LongType, false)
          .add("modification_time", DataTypes.TimestampType, false)
          .add("rows_read", DataTypes.LongType, false)
          .add("rows_stored", DataTypes.LongType, false)
          .add("rows_rejected", DataTypes.LongType, false)
          .add("rows_duplicate", DataTypes.LongType, false)
          .add("ingest_run_id", DataTypes.StringType, false);

  /** Counts of one source in one run. */
  public record SourceCounts(
      String source,
      int newFiles,
      int emptyFiles,
      long read,
      long stored,
      long rejected,
      long duplicates,
      Map<String, Long> rejectedByReason) {}

  private final Lake lake;
  private final IngestSettings settings;
  private List<SourceCounts> lastCounts = List.of();

  public IngestJob(Lake lake, IngestSettings settings) {
    this.lake = lake;
    this.settings = settings;
  }

  public JobResult run(RunContext ctx) {
    long read = 0;
    long stored = 0;
    long rejected = 0;
    long duplicates = 0;
    Map<String, String> metrics = new LinkedHashMap<>();
    List<SourceCounts> all = new ArrayList<>();
    for (SourceSpec spec : settings.sources()) {
      SourceCounts c = ingestSource(ctx, spec);
      all.add(c);
      read += c.read();
      stored += c.stored();
      rejected += c.rejected();
      duplicates += c.duplicates();
      metrics.put(spec.name() + ".files", String.valueOf(c.newFiles()));
      metrics.put(spec.name() + ".empty_files", String.valueOf(c.emptyFiles()));
      c.rejectedByReason()
          .forEach((k, v) -> metrics.put(spec.name() + ".rejected." + k, String.valueOf(v)));
    }
    if (read != stored + rejected + duplicates) {
      throw new IllegalStateException(
          String.format(
              "row conservation broken: read %d != stored %d + rejected %d + duplicates %d",
              read, stored, rejected, duplicates));
    }
    lastCounts = all;
    return new JobResult(read, stored, rejected, duplicates, metrics);
  }

  /** Per-source counts of the last {@link #run}. */
  public List<SourceCounts> lastCounts() {
    return lastCounts;
  }

  SourceCounts ingestSource(RunContext ctx, SourceSpec spec) {
    SparkSession spark = lake.spark();
    ctx.phase("list landing files of " + spec.name());
    List<LandingFile> files = RawReader.listFiles(spec, spark.sparkContext().hadoopConfiguration());
    Set<String> known = knownFiles(spec.name());
    List<LandingFile> fresh = new ArrayList<>();
    List<LandingFile> empty = new ArrayList<>();
    for (LandingFile f : files) {
      if (known.contains(fileKey(f))) {
        continue;
      }
      (f.size() == 0 && spec.lineBased() ? empty : fresh).add(f);
    }
    LOG.info(
        "source {}: {} files at {}, {} new, {} new and empty",
        spec.name(),
        files.size(),
        spec.location(),
        fresh.size(),
        empty.size());
    for (LandingFile f : empty) {
      LOG.warn("source {}: file {} is empty; recorded, nothing to ingest", spec.name(), f.uri());
    }
    if (fresh.isEmpty()) {
      recordFiles(ctx, spec, empty, Map.of());
      return new SourceCounts(spec.name(), 0, empty.size(), 0, 0, 0, 0, Map.of());
    }

    ctx.phase("read and validate " + spec.name());
    Dataset<Row> validated = new Validator(spec).validate(RawReader.read(spark, spec, fresh));
    Dataset<Row> batch =
        classify(validated, storedLineIds())
            .withColumn("ingest_run_id", lit(ctx.runId()))
            .persist(StorageLevel.DISK_ONLY()); // wide rows: heap stays free for the writes
    try {
      Map<String, Long> byStatus = new HashMap<>();
      Map<String, Long> byReason = new LinkedHashMap<>();
      for (Row r :
          batch
              .groupBy("_status", "reason_code")
              .count()
              .orderBy("_status", "reason_code")
              .collectAsList()) {
        byStatus.merge(r.getString(0), r.getLong(2), Long::sum);
        if (REJECTED.equals(r.getString(0))) {
          byReason.put(r.getString(1), r.getLong(2));
        }
      }
      Map<String, Row> perFile = new HashMap<>();
      for (Row r :
          batch
              .groupBy("source_file")
              .agg(
                  count(lit(1)).as("read"),
                  sum(when(col("_status").equalTo(VALID), 1).otherwise(0)).as("stored"),
                  sum(when(col("_status").equalTo(REJECTED), 1).otherwise(0)).as("rejected"),
                  sum(when(col("_status").equalTo(DUPLICATE), 1).otherwise(0)).as("dups"))
              .collectAsList()) {
        perFile.put(r.getString(0), r);
      }
      long valid = byStatus.getOrDefault(VALID, 0L);
      long rejected = byStatus.getOrDefault(REJECTED, 0L);
      long dups = byStatus.getOrDefault(DUPLICATE, 0L);
      long read = valid + rejected + dups;

      ctx.phase("write " + Tables.TRANSACTIONS_RAW + " (" + spec.name() + ")");
      lake.insertNew(
          Tables.TRANSACTIONS_RAW,
          bronzeRows(batch.where(col("_status").notEqual(DUPLICATE))),
          "line_id");
      ctx.phase("write " + Tables.TRANSACTIONS_REJECTED + " (" + spec.name() + ")");
      if (rejected > 0 || !lake.exists(Tables.TRANSACTIONS_REJECTED)) {
        lake.insertNew(
            Tables.TRANSACTIONS_REJECTED,
            rejectedRows(batch.where(col("_status").equalTo(REJECTED))),
            "line_id");
      }
      ctx.phase("merge into " + Tables.TRANSACTIONS + " (" + spec.name() + ")");
      lake.insertNew(
          Tables.TRANSACTIONS, silverRows(batch.where(col("_status").equalTo(VALID))), "line_id");
      List<LandingFile> recorded = new ArrayList<>(fresh);
      recorded.addAll(empty);
      recordFiles(ctx, spec, recorded, perFile);
      LOG.info(
          "source {}: read {} = stored {} + duplicates {} + rejected {} {}",
          spec.name(),
          read,
          valid,
          dups,
          rejected,
          byReason);
      return new SourceCounts(
          spec.name(), fresh.size(), empty.size(), read, valid, rejected, dups, byReason);
    } finally {
      batch.unpersist();
    }
  }

  /**
   * Marks each validated record VALID, REJECTED or DUPLICATE (its line id is already stored, or an
   * earlier record of the batch has it: the first by file path and position wins).
   */
  static Dataset<Row> classify(Dataset<Row> validated, Dataset<Row> storedIds) {
    Dataset<Row> ranked =
        validated.withColumn(
            "_rank",
            functions
                .row_number()
                .over(
                    Window.partitionBy("line_id").orderBy("file_path", "record_pos", "item_pos")));
    Dataset<Row> joined =
        storedIds == null
            ? ranked.withColumn("_stored", lit(false))
            : ranked.join(
                storedIds.select(col("line_id"), lit(true).as("_stored")), "line_id", "left");
    Column status =
        when(col("_rank").gt(1).or(functions.coalesce(col("_stored"), lit(false))), DUPLICATE)
            .when(col("reason_code").isNotNull(), REJECTED)
            .otherwise(VALID);
    return joined.withColumn("_status", status).drop("_rank", "_stored");
  }

  /** Line ids already in silver or in quarantine, or null when neither table exists yet. */
  private Dataset<Row> storedLineIds() {
    Dataset<Row> ids = null;
    for (var t : List.of(Tables.TRANSACTIONS, Tables.TRANSACTIONS_REJECTED)) {
      if (lake.exists(t)) {
        Dataset<Row> these = lake.read(t).select("line_id");
        ids = ids == null ? these : ids.union(these);
      }
    }
    return ids == null ? null : ids.distinct();
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
  private Set<String> knownFiles(String source) {
    Set<String> known = new HashSet<>();
    if (!lake.exists(Tables.INGESTED_FILES)) {
      return known;
    }
    for (Row r :
        lake.read(Tables.INGESTED_FILES)
            .where(col("source").equalTo(source))
            .select("file_path", "size_bytes", "modification_time")
            .collectAsList()) {
      known.add(r.getString(0) + "\u001f" + r.getLong(1) + "\u001f" + r.getTimestamp(2).getTime());
    }
    return known;
  }

  private void recordFiles(
      RunContext ctx, SourceSpec spec, List<LandingFile> files, Map<String, Row> perFile) {
    if (files.isEmpty()) {
      return;
    }
    List<Row> rows = new ArrayList<>();
    for (LandingFile f : files) {
      Row c = perFile.get(f.uri());
      rows.add(
          RowFactory.create(
              spec.name(),
              f.uri(),
              f.relativePath(),
              f.size(),
              new Timestamp(f.modificationTime()),
              c == null ? 0L : c.getLong(1),
              c == null ? 0L : c.getLong(2),
              c == null ? 0L : c.getLong(3),
              c == null ? 0L : c.getLong(4),
              ctx.runId()));
    }
    lake.append(Tables.INGESTED_FILES, lake.spark().createDataFrame(rows, FILES_SCHEMA));
  }
}
