package io.crmlake.report;

import static io.crmlake.report.Blocks.note;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.crmlake.common.run.JobRunLog;
import io.crmlake.ingest.IngestTables;
import io.crmlake.report.Report.Block;
import io.crmlake.report.Report.Grid;
import io.crmlake.report.Report.Note;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Data quality of the reported run's ingest: whether every row read is accounted for (stored,
 * duplicate or rejected), rejected rows by reason, the reject rate against earlier runs (flagged
 * when it jumps: {@link RejectRates}), and the files that need a look first. Reads {@code
 * ops.job_runs}, {@code ops.ingested_files}, {@code silver.transactions_rejected} and {@code
 * silver.transactions}, each filtered to the ingest run.
 */
final class QualitySection implements ReportSection {
  /** Files listed in the section. */
  static final int FILES_SHOWN = 25;

  @Override
  public String id() {
    return "quality";
  }

  @Override
  public String title() {
    return "Data quality";
  }

  @Override
  public String shows() {
    return "What ingest did with every input row of the run: stored, duplicate or rejected (by"
        + " reason and file), and the run's reject rate against earlier runs.";
  }

  @Override
  public List<Block> blocks(ReportInputs in) {
    Dataset<Row> jobRuns = in.read(JobRunLog.JOB_RUNS);
    String ingestRun =
        in.run().ingestRun() != null ? in.run().ingestRun() : latestSuccessfulIngest(jobRuns);
    if (ingestRun == null) {
      return List.of(note("No ingest run yet: run `bin/crmlake ingest`."));
    }
    Column thisRun = col("ingest_run_id").equalTo(ingestRun);
    Grid reasons = rejectReasons(in, thisRun);
    Dataset<Row> ingested = in.read(IngestTables.INGESTED_FILES).where(thisRun);
    FileTotals totals = FileTotals.of(ingested);
    Grid files = filesToLookAt(ingested);
    long noId =
        in.read(IngestTables.TRANSACTIONS).where(thisRun.and(col("customer_id").isNull())).count();
    RejectRates rates = RejectRates.of(rejectHistory(jobRuns), ingestRun);

    List<Block> blocks = new ArrayList<>();
    blocks.add(totals.note(ingestRun, noId));
    blocks.add(
        Charts.bars("reject-reasons", "Rejected rows by reason", "reason", "rows", reasons, true));
    blocks.addAll(rates.verdict());
    blocks.add(
        Charts.lines(
            "reject-rate",
            "Reject rate per ingest run",
            "ingest run",
            "% rejected",
            rates.grid(),
            false));
    if (totals.files() > FILES_SHOWN) {
      blocks.add(
          note(
              "The "
                  + FILES_SHOWN
                  + " files with the most rejected and duplicate rows of "
                  + totals.files()
                  + " (ops.ingested_files has them all):"));
    }
    blocks.add(files);
    return blocks;
  }

  private static String latestSuccessfulIngest(Dataset<Row> jobRuns) {
    return jobRuns
        .where("job = 'ingest' AND status = 'SUCCEEDED'")
        .orderBy(desc("started_at"))
        .select("run_id")
        .limit(1)
        .collectAsList()
        .stream()
        .map(r -> r.getString(0))
        .findFirst()
        .orElse(null);
  }

  private static Grid rejectReasons(ReportInputs in, Column thisRun) {
    return Blocks.fill(
        Grid.of("reject-reasons", List.of("reason", "rows")),
        Blocks.collect(
            in.read(IngestTables.TRANSACTIONS_REJECTED)
                .where(thisRun)
                .groupBy("reason_code")
                .count()
                .orderBy(desc("count"))));
  }

  /** Rows stored + duplicate + rejected: every row read, when the file is conserved. */
  private static Column rowsOut() {
    return col("rows_stored").plus(col("rows_duplicate")).plus(col("rows_rejected"));
  }

  /**
   * The run's files summed up.
   *
   * @param files files the run ingested
   * @param read rows read from them
   * @param kept rows stored, duplicate or rejected
   * @param broken files whose rows read and rows kept differ
   */
  record FileTotals(long files, long read, long kept, long broken) {
    static FileTotals of(Dataset<Row> ingested) {
      Row t =
          ingested
              .agg(
                  count(lit(1)),
                  coalesce(sum("rows_read"), lit(0L)),
                  coalesce(sum(rowsOut()), lit(0L)),
                  coalesce(sum(when(col("rows_read").notEqual(rowsOut()), 1)), lit(0L)))
              .first();
      return new FileTotals(t.getLong(0), t.getLong(1), t.getLong(2), t.getLong(3));
    }

    /** Whether every row is accounted for, and the stored lines without a customer. */
    Note note(String ingestRun, long noId) {
      boolean lost = read != kept || broken > 0;
      return new Note(
          String.format(
              Locale.ROOT,
              "Run %s: %,d rows read from %d files; stored + duplicates + rejected = %,d (%s);"
                  + " %,d stored lines have no customer id (kept, left out of customer"
                  + " analytics).",
              ingestRun,
              read,
              files,
              kept,
              lost ? "ROWS MISSING" : "every row accounted for",
              noId),
          lost);
    }
  }

  /** The files that need a look first: not conserved, then most rejected and duplicate rows. */
  private static Grid filesToLookAt(Dataset<Row> ingested) {
    Grid files =
        Grid.of(
                "files",
                List.of("file", "rows read", "stored", "duplicates", "rejected", "conserved"))
            .asSortable();
    for (Row r :
        ingested
            .orderBy(
                col("rows_read").equalTo(rowsOut()),
                desc("rows_rejected"),
                desc("rows_duplicate"),
                col("file_path"))
            .limit(FILES_SHOWN)
            .collectAsList()) {
      long in = r.<Long>getAs("rows_read");
      long out =
          r.<Long>getAs("rows_stored")
              + r.<Long>getAs("rows_duplicate")
              + r.<Long>getAs("rows_rejected");
      files.add(
          r.getAs("file_path"),
          in,
          r.getAs("rows_stored"),
          r.getAs("rows_duplicate"),
          r.getAs("rows_rejected"),
          in == out ? "yes" : "NO");
    }
    return files;
  }

  /** Every successful ingest that read rows, oldest first: run id, rows read, rows rejected. */
  private static List<Row> rejectHistory(Dataset<Row> jobRuns) {
    return Blocks.collect(
        jobRuns
            .where("job = 'ingest' AND status = 'SUCCEEDED' AND input_rows > 0")
            .orderBy("started_at")
            .select("run_id", "input_rows", "quarantined_rows"));
  }
}
