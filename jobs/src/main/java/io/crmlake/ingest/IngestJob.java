package io.crmlake.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;

import io.crmlake.common.lake.Table;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.Outputs;
import io.crmlake.common.run.RunContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ingest: landing files → {@code bronze.transactions_raw} → {@code silver.transactions} + {@code
 * silver.transactions_rejected}, and the file log {@code ops.ingested_files}.
 *
 * <p>Run with {@code bin/crmlake ingest [--source conf/sources/X.conf]}; without {@code --source}
 * it ingests every source in {@code ingest.sources}. Per source, in phases: list the files it has
 * not ingested before ({@link Listing}: path, size and modification time against the {@link
 * FileLog}), inspect their heads ({@link FileHeads}), read and validate every record ({@link
 * ReadAttempts}, {@link Validator}) and check the files read, find duplicates ({@link Duplicates})
 * and count records ({@link RecordCounts}). Each record is stored exactly once: a record whose line
 * id is already stored, or repeats within the batch, is counted as a duplicate and skipped. Every
 * record read is stored, rejected or skipped as a duplicate, and the three counts add up to the
 * rows read. Every source is read and validated before anything is written; then each table gets
 * one Delta commit for the whole run, silver last but for the file log, so a run that fails leaves
 * silver as it was and a re-run completes it without duplicates.
 *
 * <p>Settings: {@code ingest.sources}, {@code ingest.earliest-date}, {@code ingest.max-days-ahead},
 * {@code ingest.max-field-length} ({@link IngestSettings}).
 */
public final class IngestJob implements Job<IngestResult> {
  private static final Logger LOG = LoggerFactory.getLogger(IngestJob.class);
  static final String VALID = "VALID";
  static final String REJECTED = "REJECTED";
  static final String DUPLICATE = "DUPLICATE";

  /** Column that numbers the records of a batch (unique within it) while it is classified. */
  static final String ROW = "_row";

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
    Dataset<Row> storedIds = Duplicates.storedLineIds(ctx.lake());
    List<SourceBatch> sources = new ArrayList<>();
    for (SourceSpec spec : settings.sources()) {
      sources.add(ingestSource(ctx, spec, storedIds));
    }
    IngestResult result = IngestResult.of(sources.stream().map(SourceBatch::counts).toList());
    checkConservation(result);
    return outputs(ctx, result, sources, settings.rebuildCustomerDays());
  }

  /**
   * One source's outcome.
   *
   * @param rows its classified records ({@code _status}), null when no file could be read
   * @param counts its counts
   * @param fileLog its {@link IngestTables#INGESTED_FILES} rows
   */
  private record SourceBatch(
      Dataset<Row> rows, IngestResult.SourceCounts counts, List<Row> fileLog) {}

  /** The phases of one source, each named for {@code ops.job_runs.phase_ms}. */
  private SourceBatch ingestSource(RunContext ctx, SourceSpec spec, Dataset<Row> storedIds) {
    ctx.phase("list landing files of " + spec.name());
    Listing listing = listNewFiles(ctx, spec);
    Inspection inspection = Inspection.NONE;
    if (!listing.fresh().isEmpty()) {
      ctx.phase("inspect file heads of " + spec.name());
      inspection = inspectHeads(ctx, spec, listing);
    }
    // "read and validate <source>" and "check files of <source>", once per attempt.
    ValidatedBatch batch =
        new ReadAttempts(ctx, spec, new Validator(spec, settings.limits(ctx.startedAt())))
            .read(listing.fresh(), inspection);
    Dataset<Row> classified = null;
    RecordCounts counts = RecordCounts.NONE;
    if (batch.rows() != null) {
      ctx.phase("find duplicates of " + spec.name());
      classified = Duplicates.find(ctx, spec.name(), batch, storedIds);
      ctx.phase("count records of " + spec.name());
      counts = RecordCounts.of(classified);
      logSummary(spec, batch, counts);
    }
    return new SourceBatch(
        classified,
        sourceCounts(spec, listing, batch, counts),
        FileLog.rows(ctx.runId(), spec, listing, batch, counts));
  }

  private static Listing listNewFiles(RunContext ctx, SourceSpec spec) {
    List<LandingFile> listed =
        LandingFolder.list(spec, ctx.spark().sparkContext().hadoopConfiguration());
    Listing listing = Listing.of(spec, listed, FileLog.knownFiles(ctx.lake(), spec.name()));
    LOG.info(
        "source {}: {} files at {}, {} new, {} new and empty",
        spec.name(),
        listing.listed(),
        spec.location(),
        listing.fresh().size(),
        listing.empty().size());
    ctx.addInputBytes(listing.freshBytes());
    for (LandingFile f : listing.empty()) {
      LOG.debug("source {}: file {} is empty; recorded, nothing to ingest", spec.name(), f.uri());
    }
    return listing;
  }

  private static Inspection inspectHeads(RunContext ctx, SourceSpec spec, Listing listing) {
    Inspection inspection = FileHeads.inspect(ctx.spark(), spec, listing.fresh());
    LOG.info(
        "source {}: {} file heads read; {} files rejected, {} gone since listing",
        spec.name(),
        inspection.headers().size() + inspection.schemas().size(),
        inspection.rejected().size(),
        inspection.vanished().size());
    return inspection;
  }

  private static void logSummary(SourceSpec spec, ValidatedBatch batch, RecordCounts counts) {
    LOG.info(
        "source {}: read {} = stored {} + duplicates {} + rejected {} {}; files rejected {},"
            + " left for the next run {}",
        spec.name(),
        counts.read(),
        counts.stored(),
        counts.duplicates(),
        counts.rejected(),
        counts.rejectedByReason(),
        batch.rejectedFiles().size(),
        batch.leftForNextRun().size());
  }

  private static IngestResult.SourceCounts sourceCounts(
      SourceSpec spec, Listing listing, ValidatedBatch batch, RecordCounts counts) {
    return new IngestResult.SourceCounts(
        spec.name(),
        batch.filesRead(listing.fresh()).size(),
        listing.empty().size(),
        counts.read(),
        counts.stored(),
        counts.rejected(),
        counts.duplicates(),
        counts.rejectedByReason(),
        batch.rejectedFiles(),
        batch.leftForNextRun().size());
  }

  private static void checkConservation(IngestResult result) {
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
  }

  /**
   * The tables to write, in the order of {@link IngestTables#ALL}: the sources' records in the
   * order of the sources. Silver last but for the file log: a run that fails between the writes
   * leaves no file marked ingested whose rows are missing, and its re-run inserts only the rows not
   * yet stored. The customer days of the customers with new lines just before silver ({@link
   * CustomerDaysUpdate}).
   */
  private static Outputs<IngestResult> outputs(
      RunContext ctx, IngestResult result, List<SourceBatch> sources, boolean rebuildDays) {
    Dataset<Row> batches = null;
    List<Row> files = new ArrayList<>();
    for (SourceBatch s : sources) {
      if (s.rows() != null) {
        batches = batches == null ? s.rows() : batches.unionByName(s.rows());
      }
      files.addAll(s.fileLog());
    }
    Outputs.Builder<IngestResult> out = Outputs.of(result);
    if (batches != null) {
      out.write(
          IngestTables.TRANSACTIONS_RAW,
          bronzeRows(batches.where(col("_status").notEqual(DUPLICATE))));
      if (result.quarantinedRows() > 0 || !ctx.lake().exists(IngestTables.TRANSACTIONS_REJECTED)) {
        out.write(
            IngestTables.TRANSACTIONS_REJECTED,
            rejectedRows(batches.where(col("_status").equalTo(REJECTED))));
      }
    }
    Dataset<Row> fresh =
        batches == null ? null : silverRows(batches.where(col("_status").equalTo(VALID)));
    CustomerDaysUpdate.rows(ctx.lake(), fresh, result.outputRows(), rebuildDays)
        .ifPresent(
            days -> {
              if (days.whole()) {
                out.upsertWhole(IngestTables.CUSTOMER_DAYS, days.rows());
              } else {
                out.write(IngestTables.CUSTOMER_DAYS, days.rows());
              }
            });
    if (fresh != null) {
      out.write(IngestTables.TRANSACTIONS, fresh);
    }
    if (!files.isEmpty()) {
      out.write(
          IngestTables.INGESTED_FILES,
          ctx.spark().createDataFrame(files, IngestTables.INGESTED_FILES.schema()));
    }
    return out.build();
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
}
