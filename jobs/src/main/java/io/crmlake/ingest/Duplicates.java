package io.crmlake.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.RunContext;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a batch's duplicate records and classifies every record as {@link IngestJob#VALID}, {@link
 * IngestJob#REJECTED} or {@link IngestJob#DUPLICATE}. A record is a duplicate when its line id is
 * already stored (in silver or in quarantine), or an earlier record of the batch has it. {@link
 * #rows} and {@link #classify} are pure transformations; {@link #find} caches and counts.
 */
final class Duplicates {
  private static final Logger LOG = LoggerFactory.getLogger(Duplicates.class);

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

  private Duplicates() {}

  /**
   * Classifies a validated batch: its records with {@code _status}, without {@link IngestJob#ROW}.
   * The record numbers of its duplicates are cached (the batch is cached on disk already) until the
   * run ends; the classified rows join the two again for each count and write, the duplicates sent
   * to every task. Above {@link #BROADCAST_DUPLICATES} they are joined once and the result cached
   * on disk too.
   *
   * @param stored the stored line ids ({@link #storedLineIds}), null when nothing is stored yet
   */
  static Dataset<Row> find(
      RunContext ctx, String source, ValidatedBatch batch, Dataset<Row> stored) {
    Dataset<Row> duplicates =
        ctx.persist(rows(batch.rows(), stored, batch.rowCount() <= BROADCAST_ROWS));
    long count = duplicates.count();
    boolean broadcast = count <= BROADCAST_DUPLICATES;
    LOG.info(
        "source {}: {} duplicates among {} records ({} join)",
        source,
        count,
        batch.rowCount(),
        broadcast ? "broadcast" : "shuffle");
    if (broadcast) {
      return classify(batch.rows(), functions.broadcast(duplicates));
    }
    // Too many to send to every task: one shuffle join, kept on disk for the counts and writes.
    return ctx.persist(classify(batch.rows(), duplicates), StorageLevel.DISK_ONLY());
  }

  /**
   * The {@link IngestJob#ROW} numbers of a batch's duplicate records: those whose line id is
   * already stored, or that an earlier record of the batch has (the first by file path and position
   * wins, then the first read: a Delta source's records have no position). A line stored from this
   * same file by a run that was killed before it logged the file is not a duplicate: this run takes
   * over that file's books (the insert-only writes do not store it again). Only ids and positions
   * are shuffled, not the records. The record numbers come from the cached batch, so they match the
   * batch the duplicates are joined with.
   *
   * @param stored the stored line ids ({@link #storedLineIds}), null when nothing is stored yet
   * @param smallBatch whether the batch's line ids are few enough to send to every task
   */
  static Dataset<Row> rows(Dataset<Row> validated, Dataset<Row> stored, boolean smallBatch) {
    Dataset<Row> ranked =
        validated
            .select(IngestJob.ROW, "line_id", "source_file", "file_path", "record_pos", "item_pos")
            .withColumn(
                "_rank",
                functions
                    .row_number()
                    .over(
                        Window.partitionBy("line_id")
                            .orderBy("file_path", "record_pos", "item_pos", IngestJob.ROW)));
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
    return ranked.where(duplicate).select(IngestJob.ROW);
  }

  /**
   * Marks each validated record DUPLICATE (its {@link IngestJob#ROW} is in {@code duplicateRows}),
   * REJECTED (it has a reason) or VALID, in {@code _status}.
   */
  static Dataset<Row> classify(Dataset<Row> validated, Dataset<Row> duplicateRows) {
    Column status =
        when(col("_duplicate").isNotNull(), IngestJob.DUPLICATE)
            .when(col("reason_code").isNotNull(), IngestJob.REJECTED)
            .otherwise(IngestJob.VALID);
    return validated
        .join(
            duplicateRows.select(col(IngestJob.ROW), lit(true).as("_duplicate")),
            IngestJob.ROW,
            "left")
        .withColumn("_status", status)
        .drop("_duplicate", IngestJob.ROW);
  }

  /**
   * Line ids already in silver or in quarantine (null when neither table exists yet), a row per
   * stored record, each with {@code _unlogged_file}: the file it was stored from when the run that
   * stored it did not log that file in ops.ingested_files (it was killed in between), else null.
   */
  static Dataset<Row> storedLineIds(Lake lake) {
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
}
