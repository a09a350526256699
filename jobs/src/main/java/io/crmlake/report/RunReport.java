package io.crmlake.report;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.percentile_approx;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.crmlake.baskets.BasketsTables;
import io.crmlake.churn.ChurnTables;
import io.crmlake.clv.BgNbd;
import io.crmlake.clv.ClvTables;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.ingest.IngestTables;
import io.crmlake.publish.PublishTables;
import io.crmlake.report.Report.Block;
import io.crmlake.report.Report.Grid;
import io.crmlake.report.Report.Note;
import io.crmlake.report.Report.Section;
import io.crmlake.segments.SegmentsTables;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the run report from the lake's tables: the latest pipeline run's jobs, data quality,
 * cohorts, segments, churn, CLV, baskets and action lists. Every figure is an aggregate computed by
 * Spark; at most {@link #MAX_ROWS} rows of one reach the driver (top-N tables are limited), so the
 * report's cost on the driver does not grow with the customers. A section whose tables do not exist
 * yet says which command makes them.
 */
public final class RunReport {
  private static final Logger LOG = LoggerFactory.getLogger(RunReport.class);
  static final int MAX_ROWS = 5000;

  /** Files listed in the data-quality section. */
  static final int FILES_SHOWN = 25;

  /** The reject rate of a run is flagged above this multiple of the median of earlier runs. */
  static final double REJECT_JUMP = 3.0;

  /** … and above the median by at least this many percentage points. */
  static final double REJECT_JUMP_POINTS = 0.5;

  private final Lake lake;

  private RunReport(Lake lake) {
    this.lake = lake;
  }

  /** The report of the lake's latest pipeline run (or of each job's latest run). */
  public static Report build(Lake lake) {
    return new RunReport(lake).report();
  }

  /**
   * Builds the report and writes it as {@code <dir>/report-<utc time>.html} (any Hadoop file
   * system: a local folder, {@code s3a://}, {@code hdfs://}); also as {@code latest.html} beside
   * it. Returns the report's path.
   */
  public static String write(Lake lake, String dir) {
    String html = build(lake).html();
    String name =
        "report-"
            + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                .withZone(java.time.ZoneOffset.UTC)
                .format(Instant.now())
            + ".html";
    org.apache.hadoop.fs.Path folder = new org.apache.hadoop.fs.Path(dir);
    org.apache.hadoop.fs.FileSystem fs =
        io.crmlake.common.config.LakePaths.fileSystem(
            folder, lake.spark().sparkContext().hadoopConfiguration(), "--out");
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(folder, name);
    for (org.apache.hadoop.fs.Path p :
        List.of(target, new org.apache.hadoop.fs.Path(folder, "latest.html"))) {
      try (var out = fs.create(p, true)) {
        out.write(html.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      } catch (java.io.IOException e) {
        throw new IllegalStateException("cannot write the report to " + p + ": " + e, e);
      }
    }
    LOG.info("report: {} ({} KB)", target, html.length() / 1024);
    java.net.URI uri = fs.makeQualified(target).toUri();
    return "file".equals(uri.getScheme()) ? uri.getPath() : uri.toString();
  }

  private Report report() {
    List<Section> sections = new ArrayList<>();
    RunLog runs = runLog();
    sections.add(runs.section);
    sections.add(section("quality", "Data quality", QUALITY, () -> quality(runs.ingestRun)));
    sections.add(section("cohorts", "Cohort retention", COHORTS, this::cohorts));
    sections.add(section("segments", "Segments", SEGMENTS, this::segments));
    sections.add(section("churn", "Churn", CHURN, this::churn));
    sections.add(section("clv", "Customer lifetime value", CLV, this::clv));
    sections.add(section("baskets", "Market baskets", BASKETS, this::baskets));
    sections.add(section("actions", "Action lists", ACTIONS, this::actions));
    List<String> facts = new ArrayList<>();
    facts.add("lake " + lake.root());
    facts.add(runs.title);
    facts.add("report made " + Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    return new Report("crmlake run report", facts, sections);
  }

  static final String RUNS =
      "The jobs of the latest pipeline run: status, rows in and out, time per job.";
  static final String QUALITY =
      "What ingest did with every input row of the run: stored, duplicate or rejected (by reason"
          + " and file), and the run's reject rate against earlier runs.";
  static final String COHORTS =
      "Customers by month of first purchase: the share who buy again in each later month, and"
          + " the cohort's revenue per customer.";
  static final String SEGMENTS =
      "Who the customers are: value classes, RFM segments, the value pyramid, R×F cells, KMeans"
          + " clusters and moves since the previous snapshot.";
  static final String CHURN =
      "How well the churn models rank and calibrate on the holdout, what drives them, and how"
          + " the scored customers split into risk bands and lifecycle stages.";
  static final String CLV =
      "BG/NBD + Gamma-Gamma: the spread of CLV, expected purchases and P(alive) by frequency and"
          + " recency, and the calibration fit checked against the holdout.";
  static final String BASKETS =
      "Association rules mined with FP-Growth: the strongest rules, their support, confidence"
          + " and lift, and which items lead to which.";
  static final String ACTIONS =
      "The action lists publish hands to the CRM: how many customers, and the value at stake.";

  private Section section(String id, String title, String shows, Supplier<List<Block>> blocks) {
    long start = System.nanoTime();
    List<Block> b;
    try {
      b = blocks.get();
    } catch (Lake.MissingTableException e) {
      b = List.of(new Note("Not computed yet: " + e.getMessage(), false));
    }
    LOG.info(
        "report section {}: {} blocks in {} ms",
        id,
        b.size(),
        (System.nanoTime() - start) / 1_000_000);
    return new Section(id, title, shows, b);
  }

  private record RunLog(Section section, String title, String ingestRun) {}

  private RunLog runLog() {
    Dataset<Row> all = lake.read(JobRunLog.JOB_RUNS);
    Row latest =
        all
            .where(col("pipeline_run_id").isNotNull())
            .orderBy(desc("started_at"))
            .select("pipeline_run_id")
            .limit(1)
            .collectAsList()
            .stream()
            .findFirst()
            .orElse(null);
    Dataset<Row> runs;
    String title;
    if (latest != null) {
      String id = latest.getString(0);
      runs = all.where(col("pipeline_run_id").equalTo(id));
      title = "pipeline run " + id;
    } else {
      runs =
          all.join(
              all.groupBy("job").agg(max("started_at").as("started_at")),
              new String[] {"job", "started_at"},
              "left_semi");
      title = "latest run of each job (no pipeline run yet)";
    }
    List<Row> rows =
        runs.orderBy("started_at")
            .select(
                "job",
                "run_id",
                "status",
                "started_at",
                "ended_at",
                "input_rows",
                "output_rows",
                "quarantined_rows",
                "skipped_rows",
                "error_message")
            .limit(MAX_ROWS)
            .collectAsList();
    Grid grid =
        Grid.of(
            "runs",
            List.of(
                "job",
                "run",
                "status",
                "started",
                "seconds",
                "input rows",
                "output rows",
                "quarantined",
                "duplicates"));
    Grid seconds = Grid.of("runs-seconds", List.of("job", "seconds"));
    String ingestRun = null;
    List<Block> blocks = new ArrayList<>();
    for (Row r : rows) {
      Double s =
          r.isNullAt(4)
              ? null
              : Duration.between(r.getTimestamp(3).toInstant(), r.getTimestamp(4).toInstant())
                      .toMillis()
                  / 1000.0;
      grid.add(
          r.get(0),
          r.get(1),
          r.get(2),
          String.valueOf(r.get(3)),
          s,
          r.get(5),
          r.get(6),
          r.get(7),
          r.get(8));
      if (s != null) {
        seconds.add(r.get(0), s);
      }
      if ("ingest".equals(r.get(0)) && "SUCCEEDED".equals(r.get(2))) {
        ingestRun = r.getString(1);
      }
      if ("FAILED".equals(r.get(2))) {
        blocks.add(new Note(r.get(0) + " FAILED: " + r.get(9), true));
      }
    }
    blocks.add(Charts.bars("run-seconds", "Seconds per job", "job", "seconds", seconds, true));
    blocks.add(grid);
    return new RunLog(new Section("runs", "Run log", RUNS, blocks), title, ingestRun);
  }

  private List<Block> quality(String ingestRun) {
    List<Block> blocks = new ArrayList<>();
    Dataset<Row> jobRuns = lake.read(JobRunLog.JOB_RUNS);
    if (ingestRun == null) {
      ingestRun =
          jobRuns
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
    if (ingestRun == null) {
      return List.of(new Note("No ingest run yet: run `bin/crmlake ingest`.", false));
    }
    Column thisRun = col("ingest_run_id").equalTo(ingestRun);
    Grid reasons = Grid.of("reject-reasons", List.of("reason", "rows"));
    for (Row r :
        lake.read(IngestTables.TRANSACTIONS_REJECTED)
            .where(thisRun)
            .groupBy("reason_code")
            .count()
            .orderBy(desc("count"))
            .limit(MAX_ROWS)
            .collectAsList()) {
      reasons.add(r.get(0), r.get(1));
    }
    Grid files =
        Grid.of(
                "files",
                List.of("file", "rows read", "stored", "duplicates", "rejected", "conserved"))
            .asSortable();
    Dataset<Row> ingested = lake.read(IngestTables.INGESTED_FILES).where(thisRun);
    Row totals =
        ingested
            .agg(
                count(lit(1)),
                coalesce(sum("rows_read"), lit(0L)),
                coalesce(
                    sum(col("rows_stored").plus(col("rows_duplicate")).plus(col("rows_rejected"))),
                    lit(0L)),
                coalesce(
                    sum(
                        when(
                            col("rows_read")
                                .notEqual(
                                    col("rows_stored")
                                        .plus(col("rows_duplicate"))
                                        .plus(col("rows_rejected"))),
                            1)),
                    lit(0L)))
            .first();
    long fileCount = totals.getLong(0);
    long read = totals.getLong(1);
    long kept = totals.getLong(2);
    long broken = totals.getLong(3);
    // The files that need a look first: not conserved, then most rejected and duplicate rows.
    for (Row r :
        ingested
            .orderBy(
                col("rows_read")
                    .equalTo(
                        col("rows_stored").plus(col("rows_duplicate")).plus(col("rows_rejected"))),
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
    long noId =
        lake.read(IngestTables.TRANSACTIONS)
            .where(thisRun.and(col("customer_id").isNull()))
            .count();
    blocks.add(
        new Note(
            String.format(
                Locale.ROOT,
                "Run %s: %,d rows read from %d files; stored + duplicates + rejected = %,d (%s);"
                    + " %,d stored lines have no customer id (kept, left out of customer"
                    + " analytics).",
                ingestRun,
                read,
                fileCount,
                kept,
                read == kept && broken == 0 ? "every row accounted for" : "ROWS MISSING",
                noId),
            read != kept || broken > 0));
    blocks.add(
        Charts.bars("reject-reasons", "Rejected rows by reason", "reason", "rows", reasons, true));

    // The reject rate of every successful ingest that read rows, oldest first.
    Grid rates = Grid.of("reject-rate", List.of("series", "run", "reject rate %"));
    List<Row> history =
        jobRuns
            .where("job = 'ingest' AND status = 'SUCCEEDED' AND input_rows > 0")
            .orderBy("started_at")
            .select("run_id", "input_rows", "quarantined_rows")
            .limit(MAX_ROWS)
            .collectAsList();
    List<Double> earlier = new ArrayList<>();
    Double current = null;
    for (int i = 0; i < history.size(); i++) {
      Row r = history.get(i);
      double rate = 100.0 * r.getLong(2) / r.getLong(1);
      rates.add("reject rate", i + 1, rate);
      if (r.getString(0).equals(ingestRun)) {
        current = rate;
        break;
      }
      earlier.add(rate);
    }
    if (current != null && !earlier.isEmpty()) {
      double median = median(earlier);
      boolean jump = current > REJECT_JUMP * median && current - median >= REJECT_JUMP_POINTS;
      blocks.add(
          new Note(
              String.format(
                  Locale.ROOT,
                  "Reject rate of this run %.2f %% against a median of %.2f %% over %d earlier"
                      + " runs%s",
                  current,
                  median,
                  earlier.size(),
                  jump ? ": JUMPED — look at the reasons and files above." : ": normal."),
              jump));
    } else if (current != null) {
      blocks.add(
          new Note(
              String.format(
                  Locale.ROOT, "Reject rate %.2f %% (the first run: no history yet).", current),
              false));
    }
    blocks.add(
        Charts.lines(
            "reject-rate", "Reject rate per ingest run", "ingest run", "% rejected", rates, false));
    if (fileCount > FILES_SHOWN) {
      blocks.add(
          new Note(
              "The "
                  + FILES_SHOWN
                  + " files with the most rejected and duplicate rows of "
                  + fileCount
                  + " (ops.ingested_files has them all):",
              false));
    }
    blocks.add(files);
    return blocks;
  }

  static double median(List<Double> values) {
    List<Double> v = values.stream().sorted().toList();
    int n = v.size();
    return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
  }

  /** The rows of the latest value of {@code column} (a partition column: the filter prunes). */
  private Dataset<Row> latest(Table table, String column) {
    Dataset<Row> t = lake.read(table);
    Object last = t.agg(max(column)).first().get(0);
    return last == null ? t.limit(0) : t.where(col(column).equalTo(lit(last)));
  }

  private List<Block> cohorts() {
    Dataset<Row> c = latest(SegmentsTables.COHORT_RETENTION, "as_of_date");
    // The last 24 cohorts and 24 months since: the heatmaps stay readable.
    List<Row> rows =
        c.where(col("months_since").leq(24))
            .join(
                c.select("cohort_month").distinct().orderBy(desc("cohort_month")).limit(24),
                "cohort_month")
            .orderBy("cohort_month", "months_since")
            .select(
                "cohort_month",
                "months_since",
                "retention",
                "revenue_per_customer",
                "cohort_customers")
            .limit(MAX_ROWS)
            .collectAsList();
    Grid retention = Grid.of("cohort-retention", List.of("months since", "cohort", "retention"));
    Grid revenue =
        Grid.of("cohort-revenue", List.of("months since", "cohort", "revenue per customer"));
    Grid sizes = Grid.of("cohort-sizes", List.of("cohort", "customers"));
    int maxSince = 0;
    for (Row r : rows) {
      String cohort = r.getDate(0).toString().substring(0, 7);
      retention.add(r.getInt(1), cohort, r.getDouble(2));
      revenue.add(r.getInt(1), cohort, r.getDouble(3));
      if (r.getInt(1) == 0) {
        sizes.add(cohort, r.getLong(4));
      }
      maxSince = Math.max(maxSince, r.getInt(1));
    }
    List<String> months = new ArrayList<>();
    for (int m = 0; m <= maxSince; m++) {
      months.add(String.valueOf(m));
    }
    return List.of(
        Charts.heatmap(
            "cohort-retention",
            "Share of each cohort buying, by months since the first purchase",
            "months since first purchase",
            "cohort (month of first purchase)",
            "share buying",
            retention,
            months,
            null),
        Charts.heatmap(
            "cohort-revenue",
            "Revenue per cohort customer, by months since the first purchase",
            "months since first purchase",
            "cohort",
            "revenue per customer",
            revenue,
            months,
            null),
        Charts.bars("cohort-sizes", "Customers per cohort", "cohort", "customers", sizes, false));
  }

  private List<Block> segments() {
    List<Block> blocks = new ArrayList<>();
    Dataset<Row> profiles = latest(SegmentsTables.SEGMENT_PROFILES, "as_of_date");
    // Classes by revenue; pyramid tiers and clusters from the highest mean spend down.
    List<Row> rows =
        profiles
            .orderBy(
                col("dimension"),
                when(col("dimension").isin("pyramid_tier", "cluster_label"), col("mean_monetary"))
                    .desc(),
                desc("revenue"))
            .select(
                "dimension",
                "segment",
                "customers",
                "customer_share",
                "revenue_share",
                "mean_recency_days",
                "mean_frequency",
                "mean_monetary")
            .limit(MAX_ROWS)
            .collectAsList();
    for (String[] d :
        new String[][] {
          {"value_class", "Value classes: share of customers and of revenue"},
          {"rfm_segment", "RFM segments: share of customers and of revenue"},
          {"pyramid_tier", "Customer pyramid: share of customers and of revenue per tier"},
          {"cluster_label", "KMeans clusters: share of customers and of revenue"}
        }) {
      String id = d[0].replace('_', '-');
      Grid shares = Grid.of(id, List.of("segment", "customers %", "revenue %"));
      Grid profile =
          Grid.of(
              id + "-profile",
              List.of(
                  "segment",
                  "customers",
                  "mean recency (days)",
                  "mean frequency",
                  "mean monetary"));
      for (Row r : rows) {
        if (r.getString(0).equals(d[0])) {
          shares.add(r.get(1), 100 * r.getDouble(3), 100 * r.getDouble(4));
          profile.add(r.get(1), r.get(2), r.get(5), r.get(6), r.get(7));
        }
      }
      if (!shares.rows().isEmpty()) {
        blocks.add(Charts.bars(id, d[1], "segment", "%", shares, true));
        if (d[0].equals("cluster_label") || d[0].equals("pyramid_tier")) {
          blocks.add(profile);
        }
      }
    }
    Grid rf = Grid.of("rf-cells", List.of("F score", "R score", "mean monetary", "customers"));
    for (Row r :
        latest(SegmentsTables.CUSTOMER_SEGMENTS, "as_of_date")
            .groupBy("f_score", "r_score")
            .agg(avg(col("monetary")).as("m"), count(lit(1)).as("n"))
            .orderBy("f_score", "r_score")
            .limit(MAX_ROWS)
            .collectAsList()) {
      rf.add(r.get(0), r.get(1), r.get(2), r.get(3));
    }
    List<String> scores = List.of("1", "2", "3", "4", "5");
    blocks.add(
        Charts.heatmap(
            "rf-cells",
            "Mean monetary value per R × F cell",
            "frequency score",
            "recency score",
            "mean monetary",
            rf,
            scores,
            scores));
    Grid migration = Grid.of("migration", List.of("to", "from", "customers"));
    List<Row> moved =
        latest(PublishTables.SEGMENT_MIGRATION, "as_of_date")
            .where(col("dimension").equalTo("value_class"))
            .groupBy(
                coalesce(col("to_segment"), lit("(departed)")),
                coalesce(col("from_segment"), lit("(new)")))
            .count()
            .orderBy(desc("count"))
            .limit(MAX_ROWS)
            .collectAsList();
    if (moved.isEmpty()) {
      blocks.add(
          new Note(
              "Segment migration: no earlier snapshot to compare with yet (publish a later as-of"
                  + " date).",
              false));
    } else {
      moved.forEach(r -> migration.add(r.get(0), r.get(1), r.get(2)));
      blocks.add(
          Charts.heatmap(
              "migration",
              "Value-class moves since the previous snapshot (customers)",
              "to",
              "from",
              "customers",
              migration,
              null,
              null));
    }
    return blocks;
  }

  private List<Block> churn() {
    List<Block> blocks = new ArrayList<>();
    List<Row> rows =
        latest(ChurnTables.CHURN_MODEL_METRICS, "trained_at")
            .orderBy(desc("chosen"), col("kind").desc(), desc("pr_auc"))
            .limit(20)
            .collectAsList();
    Grid summary =
        Grid.of(
                "churn-candidates",
                List.of("candidate", "kind", "chosen", "ROC AUC", "PR AUC", "Brier", "ECE"))
            .asSortable();
    Grid roc = Grid.of("roc", List.of("candidate", "false positive rate", "true positive rate"));
    Grid pr = Grid.of("pr", List.of("candidate", "recall", "precision"));
    Grid capture = Grid.of("capture", List.of("candidate", "decile", "cumulative capture"));
    Grid lift = Grid.of("lift", List.of("decile", "lift"));
    Grid calibration =
        Grid.of("calibration", List.of("series", "mean predicted", "observed churn rate"));
    String version = null;
    for (Row r : rows) {
      String c = r.getAs("candidate");
      boolean chosen = r.getAs("chosen");
      summary.add(
          c,
          r.getAs("kind"),
          chosen ? "yes" : "",
          r.getAs("roc_auc"),
          r.getAs("pr_auc"),
          r.getAs("brier"),
          r.getAs("calibration_error"));
      for (Row p : r.<Row>getList(r.fieldIndex("roc_curve"))) {
        roc.add(c, p.getDouble(1), p.getDouble(2));
      }
      for (Row p : r.<Row>getList(r.fieldIndex("pr_curve"))) {
        pr.add(c, p.getDouble(1), p.getDouble(2));
      }
      capture.add(c, 0, 0.0);
      for (Row d : r.<Row>getList(r.fieldIndex("deciles"))) {
        capture.add(c, d.getInt(0), d.getDouble(5));
        if (chosen) {
          lift.add(String.valueOf(d.getInt(0)), d.getDouble(4));
        }
      }
      if (chosen) {
        version = r.getAs("model_version");
        for (Row d : r.<Row>getList(r.fieldIndex("calibration"))) {
          calibration.add("chosen model " + c, d.getDouble(2), d.getDouble(3));
        }
      }
    }
    blocks.add(summary);
    blocks.add(
        Charts.lines(
            "roc",
            "ROC curves on the holdout",
            "false positive rate",
            "true positive rate",
            roc,
            true));
    blocks.add(
        Charts.lines(
            "pr", "Precision-recall curves on the holdout", "recall", "precision", pr, false));
    blocks.add(
        Charts.bars(
            "lift",
            "Lift per decile of the chosen model (1 = highest risk)",
            "decile",
            "lift over the holdout churn rate",
            lift,
            false));
    blocks.add(
        Charts.lines(
            "capture",
            "Cumulative capture of churners by decile",
            "decile",
            "share of churners captured",
            capture,
            false));
    blocks.add(
        Charts.lines(
            "calibration",
            "Reliability: predicted vs observed churn",
            "mean predicted probability",
            "observed churn rate",
            calibration,
            true));
    if (version != null) {
      Grid importance = Grid.of("importance", List.of("feature", "importance"));
      for (Row r :
          lake.read(ChurnTables.CHURN_FEATURE_IMPORTANCE)
              .where(col("model_version").equalTo(version).and(col("chosen")))
              .orderBy("rank")
              .limit(15)
              .collectAsList()) {
        importance.add(r.getAs("feature"), r.getAs("importance"));
      }
      blocks.add(
          Charts.bars(
              "importance",
              "Feature importance of the chosen model",
              "feature",
              "importance",
              importance,
              true));
    }
    Dataset<Row> scores = latest(ChurnTables.CHURN_SCORES, "as_of_date");
    for (String[] d :
        new String[][] {
          {"risk_band", "Customers per risk band"},
          {"lifecycle_stage", "Customers per lifecycle stage"}
        }) {
      Grid g = Grid.of(d[0].replace('_', '-'), List.of(d[0].replace('_', ' '), "customers"));
      for (Row r :
          scores
              .groupBy(coalesce(col(d[0]), lit("(none)")))
              .count()
              .orderBy(desc("count"))
              .limit(MAX_ROWS)
              .collectAsList()) {
        g.add(r.get(0), r.get(1));
      }
      blocks.add(
          Charts.bars(d[0].replace('_', '-'), d[1], d[0].replace('_', ' '), "customers", g, true));
    }
    return blocks;
  }

  private List<Block> clv() {
    List<Block> blocks = new ArrayList<>();
    Dataset<Row> clv = latest(ClvTables.CLV, "observation_end");
    Row stats =
        clv.agg(
                percentile_approx(col("clv"), lit(0.99), lit(10000)),
                max("frequency"),
                max("t"),
                first("model_version"),
                first("horizon"),
                first("time_unit"),
                count(lit(1)))
            .first();
    if (stats.getLong(6) == 0) {
      return List.of(new Note("gold.clv has no customers.", false));
    }
    double p99 = Math.max(stats.getDouble(0), 1e-9);
    int bins = 25;
    double width = p99 / bins;
    Grid histogram = Grid.of("clv-histogram", List.of("CLV from", "customers"));
    Map<Integer, Long> counts = new java.util.TreeMap<>();
    for (Row r :
        clv.groupBy(least(floor(col("clv").divide(width)), lit(bins)).cast("int").as("bin"))
            .count()
            .limit(MAX_ROWS)
            .collectAsList()) {
      counts.put(r.getInt(0), r.getLong(1));
    }
    for (int b = 0; b <= bins; b++) {
      String label =
          b == bins ? "≥ " + Report.format(p99) + " (top 1 %)" : Report.format(b * width);
      histogram.add(label, counts.getOrDefault(b, 0L));
    }
    blocks.add(
        Charts.bars("clv-histogram", "Distribution of CLV", "CLV", "customers", histogram, false));

    String version = stats.getString(3);
    String unit = stats.getString(5);
    double horizon = stats.getDouble(4);
    List<Row> params =
        lake.read(ClvTables.CLV_MODELS)
            .where(
                col("model_version")
                    .equalTo(version)
                    .and(col("model").equalTo("bgnbd"))
                    .and(col("fit").equalTo("full")))
            .select("params")
            .limit(1)
            .collectAsList();
    if (!params.isEmpty()) {
      Map<String, Double> p = params.get(0).getJavaMap(0);
      BgNbd bg = new BgNbd(p.get("r"), p.get("alpha"), p.get("a"), p.get("b"));
      double t = stats.getDouble(2);
      int maxX = (int) Math.min(Math.ceil(stats.getDouble(1)), 30);
      int steps = 20;
      Grid expected =
          Grid.of("frequency-recency", List.of("frequency", "recency", "expected purchases"));
      Grid alive = Grid.of("p-alive", List.of("frequency", "recency", "P(alive)"));
      List<String> xs = new ArrayList<>();
      List<String> ys = new ArrayList<>();
      for (int x = 0; x <= maxX; x++) {
        xs.add(String.valueOf(x));
      }
      for (int k = 0; k <= steps; k++) {
        ys.add(Report.format(t * k / steps));
      }
      for (int x = 0; x <= maxX; x++) {
        for (int k = 0; k <= steps; k++) {
          double tx = t * k / steps;
          if (x == 0 && k > 0) {
            continue; // recency is 0 for customers without repeat purchases
          }
          expected.add(xs.get(x), ys.get(k), bg.expectedPurchases(horizon, x, tx, t));
          alive.add(xs.get(x), ys.get(k), bg.probabilityAlive(x, tx, t));
        }
      }
      String axis = "recency (" + unit + "s, first to last purchase)";
      blocks.add(
          Charts.heatmap(
              "frequency-recency",
              String.format(
                  Locale.ROOT,
                  "Expected purchases in the next %s %ss by frequency and recency (T = %s)",
                  Report.format(horizon),
                  unit,
                  Report.format(t)),
              "frequency (repeat purchases)",
              axis,
              "expected purchases",
              expected,
              xs,
              ys));
      blocks.add(
          Charts.heatmap(
              "p-alive",
              "Probability alive by frequency and recency",
              "frequency (repeat purchases)",
              axis,
              "P(alive)",
              alive,
              xs,
              ys));
    }

    Dataset<Row> validation = lake.read(ClvTables.CLV_VALIDATION);
    Grid holdout = Grid.of("holdout", List.of("calibration purchases", "actual", "predicted"));
    for (Row r :
        validation
            .where(
                col("model_version").equalTo(version).and(col("frequency_group").notEqual("all")))
            .orderBy(
                when(col("frequency_group").equalTo("7+"), 99)
                    .otherwise(col("frequency_group").cast("int")))
            .select("frequency_group", "actual_mean", "predicted_mean")
            .limit(MAX_ROWS)
            .collectAsList()) {
      holdout.add(r.get(0), r.get(1), r.get(2));
    }
    blocks.add(
        Charts.bars(
            "holdout",
            "Holdout purchases per customer by calibration-period frequency",
            "calibration repeat" + " purchases",
            "mean holdout purchases",
            holdout,
            false));
    Grid tracking = Grid.of("tracking", List.of("series", "days into the holdout", "purchases"));
    List<Row> track =
        lake.read(ClvTables.CLV_TRACKING)
            .where(col("model_version").equalTo(version))
            .orderBy("days_since")
            .limit(MAX_ROWS)
            .collectAsList();
    for (String s : new String[] {"actual", "predicted"}) {
      tracking.add(s, 0, 0.0);
      for (Row r : track) {
        tracking.add(s, r.getAs("days_since"), r.getAs(s + "_cumulative"));
      }
    }
    blocks.add(
        Charts.lines(
            "tracking",
            "Cumulative repeat purchases over the holdout: actual vs predicted",
            "days after the calibration end",
            "repeat purchases",
            tracking,
            false));
    return blocks;
  }

  private List<Block> baskets() {
    List<Block> blocks = new ArrayList<>();
    Dataset<Row> rules =
        lake.read(BasketsTables.ASSOCIATION_RULES)
            .where(not(col("is_redundant")))
            .withColumn("if", concat_ws(", ", col("antecedent_names")));
    Grid top =
        Grid.of(
                "rules",
                List.of("if bought", "then", "support", "confidence", "lift", "conviction"))
            .asSortable();
    for (Row r :
        rules
            .orderBy(desc("lift"), desc("support"))
            .select("if", "consequent_name", "support", "confidence", "lift", "conviction")
            .limit(50)
            .collectAsList()) {
      top.add(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
    }
    Grid scatter = Grid.of("rules-scatter", List.of("rule", "support", "confidence", "lift"));
    for (Row r :
        rules
            .orderBy(desc("support"))
            .select(
                concat_ws(" → ", col("if"), col("consequent_name")),
                col("support"),
                col("confidence"),
                col("lift"))
            .limit(2000)
            .collectAsList()) {
      scatter.add(r.get(0), r.get(1), r.get(2), r.get(3));
    }
    blocks.add(
        Charts.scatter(
            "rules-scatter",
            "Rules: support × confidence, coloured by lift",
            "support",
            "confidence",
            "lift",
            scatter));
    // A grouped matrix as arulesViz draws it: the antecedents and consequents of the most
    // supported rules, each cell the best lift from that antecedent to that consequent.
    Dataset<Row> strongest = rules.orderBy(desc("support")).limit(400);
    Grid matrix = Grid.of("rules-matrix", List.of("then", "if bought", "lift"));
    List<Row> cells =
        strongest
            .join(
                strongest
                    .groupBy("if")
                    .agg(sum("support").as("s"))
                    .orderBy(desc("s"))
                    .limit(15)
                    .select("if"),
                "if")
            .join(
                strongest
                    .groupBy("consequent_name")
                    .agg(sum("support").as("s2"))
                    .orderBy(desc("s2"))
                    .limit(15)
                    .select("consequent_name"),
                "consequent_name")
            .groupBy("consequent_name", "if")
            .agg(max("lift").as("lift"))
            .orderBy("consequent_name", "if")
            .limit(MAX_ROWS)
            .collectAsList();
    cells.forEach(r -> matrix.add(r.get(0), r.get(1), r.get(2)));
    blocks.add(
        Charts.heatmap(
            "rules-matrix",
            "Grouped matrix: best lift from items to items",
            "then (consequent)",
            "if bought (antecedent)",
            "lift",
            matrix,
            null,
            null));
    blocks.add(top);
    return blocks;
  }

  private List<Block> actions() {
    Dataset<Row> scores =
        latest(PublishTables.CUSTOMER_SCORES, "as_of_date").select("customer_id", "clv");
    Grid sizes = Grid.of("action-sizes", List.of("list", "customers"));
    Grid value = Grid.of("action-value", List.of("list", "total CLV of the customers"));
    Grid lost = Grid.of("action-lost", List.of("list", "expected value lost (churn × CLV)"));
    for (Object[] l :
        new Object[][] {
          {"retention", PublishTables.RETENTION_TARGETS},
          {"win-back", PublishTables.WINBACK_TARGETS},
          {"cross-sell", PublishTables.CROSS_SELL_TARGETS}
        }) {
      Dataset<Row> list = latest((Table) l[1], "as_of_date");
      Row r =
          list.select("customer_id")
              .join(scores, "customer_id")
              .agg(count(lit(1)), coalesce(sum("clv"), lit(0.0)))
              .first();
      sizes.add(l[0], r.getLong(0));
      value.add(l[0], r.getDouble(1));
    }
    lost.add(
        "retention",
        latest(PublishTables.RETENTION_TARGETS, "as_of_date")
            .agg(coalesce(sum("expected_value_lost"), lit(0.0)))
            .first()
            .getDouble(0));
    return List.of(
        Charts.bars("action-sizes", "Customers per action list", "list", "customers", sizes, false),
        Charts.bars(
            "action-value",
            "Value at stake: total CLV of the listed customers",
            "list",
            "CLV",
            value,
            false),
        lost);
  }
}
