package io.crmlake.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.churn.ChurnTables;
import io.crmlake.clv.ClvTables;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.run.RunContext;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.ingest.IngestTables;
import io.crmlake.publish.PublishTables;
import io.crmlake.segments.SegmentsTables;
import io.crmlake.tables.TableRegistry;
import io.crmlake.testing.Browser;
import io.crmlake.testing.Cli;
import io.crmlake.testing.Jobs;
import io.crmlake.testing.Notebooks;
import io.delta.tables.DeltaTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job contract on a whole pipeline (generate, then the pipeline command: ingest, baskets,
 * segments, churn, clv, publish over 400 generated customers): every table crmlake declares exists
 * with exactly its declared schema, table comment, column comments and partitioning; every Delta
 * commit names the run that made it; and a failure injected at the start of each job's last phase
 * leaves every table of that job at its version and is recorded in ops.job_runs. The pipeline
 * publishes to an embedded PostgreSQL server; the analysts' side is checked on the same run: the
 * HTML report in headless Chromium, its charts against their tables, and every notebook executed.
 */
class PipelineContractTest extends SparkTestBase {
  @TempDir static Path dir;
  static CrmlakeConfig config;
  static Lake lake;

  static String[] settings(String... more) {
    return Stream.concat(
            Stream.of(
                "generate.customers=400",
                "generate.start=2024-01-01",
                "generate.end=2024-05-31",
                "generate.customers-per-partition=200",
                "segments.kmeans.k-max=3",
                "segments.kmeans.seeds=1",
                "churn.horizon-days=30",
                "churn.min-history-days=30",
                "churn.max-cutoffs=3",
                "churn.candidates=[logistic, random-forest]",
                "churn.grid.logistic.reg-param=[0.01]",
                "churn.grid.random-forest.num-trees=[20]",
                "churn.grid.random-forest.max-depth=[4]",
                "clv.starts=1"),
            Stream.of(more))
        .toArray(String[]::new);
  }

  /** The embedded serving database the pipeline publishes to (a free port, its own folder). */
  static int port;

  static Path servingDir;

  @BeforeAll
  static void pipeline() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    servingDir = Files.createTempDirectory("crmlake-serving");
    config = config(dir, settings());
    lake = lake(config);
    Jobs.generate(lake, config);
    List<String> args = new java.util.ArrayList<>(List.of("pipeline", "--lake", dir.toString()));
    for (String s :
        settings(
            "publish.serving.embedded.port=" + port,
            "publish.serving.embedded.data-dir=" + servingDir.resolve("pg"))) {
      args.add("--set");
      args.add(s);
    }
    pipelineRun = Cli.run(args.toArray(String[]::new));
    assertEquals(0, pipelineRun.code(), pipelineRun.out() + pipelineRun.err());
    // The next night, nothing new has landed.
    versionsAfterFirst = versions();
    secondRun = Cli.run(args.toArray(String[]::new));
    versionsAfterSecond = versions();
  }

  static Cli.Result pipelineRun;

  static Cli.Result secondRun;

  static Map<Table, Long> versionsAfterFirst;

  static Map<Table, Long> versionsAfterSecond;

  /** The Delta version of every table of the lake but the run log. */
  static Map<Table, Long> versions() {
    Map<Table, Long> out = new java.util.LinkedHashMap<>();
    for (Table t : TableRegistry.PIPELINE) {
      if (t != JobRunLog.JOB_RUNS && lake.exists(t)) {
        out.put(
            t,
            io.delta.tables.DeltaTable.forPath(spark, lake.path(t)).history(1).first().getLong(0));
      }
    }
    return out;
  }

  static String pipelineId(Cli.Result run) {
    return run.out()
        .lines()
        .filter(l -> l.startsWith("pipeline run "))
        .findFirst()
        .orElseThrow()
        .substring("pipeline run ".length());
  }

  /**
   * The second pipeline, with nothing new in the landing folder, ran ingest (which found nothing),
   * said so, marked every other job current and changed no table.
   */
  @Test
  void aPipelineWithNothingNewSaysSoAndChangesNothing() {
    assertEquals(0, secondRun.code(), secondRun.out() + secondRun.err());
    assertTrue(
        secondRun.out().contains("Nothing new: silver has not changed since"), secondRun.out());
    for (String job : List.of("baskets", "segments", "churn", "clv", "publish")) {
      assertTrue(
          secondRun.out().lines().anyMatch(l -> l.matches("\\s+" + job + "\\s+current\\s.*")),
          job + " current:\n" + secondRun.out());
    }
    assertEquals(versionsAfterFirst, versionsAfterSecond);
    assertEquals(
        List.of("ingest"),
        lake.read(JobRunLog.JOB_RUNS)
            .where(functions.col("pipeline_run_id").equalTo(pipelineId(secondRun)))
            .select("job")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList());
  }

  @AfterAll
  static void stopServer() {
    io.crmlake.publish.EmbeddedServer.stop(servingDir.resolve("pg"));
  }

  /**
   * The pipeline command ran every job under one pipeline run id; every customer has every score;
   * and each action list holds exactly the customers its thresholds select, recomputed here in
   * plain Java from gold.customer_scores (a top-share threshold is the value at rank ⌈(1 − share) ×
   * n⌉ of the sorted values, as percentile_approx gives it on small data).
   */
  @Test
  void thePipelinePublishesEveryScoreAndListsObeyTheirThresholds() {
    assertTrue(pipelineRun.out().contains("== pipeline summary"), pipelineRun.out());
    List<Row> runs =
        lake.read(JobRunLog.JOB_RUNS)
            .where(functions.col("pipeline_run_id").equalTo(pipelineId(pipelineRun)))
            .collectAsList();
    assertEquals(
        Set.of("ingest", "baskets", "segments", "churn", "clv", "publish"),
        runs.stream()
            .map(r -> r.<String>getAs("job"))
            .collect(java.util.stream.Collectors.toSet()));
    for (Table t : TableRegistry.PIPELINE) {
      if (t.layer().equals("gold") && t != PublishTables.SEGMENT_MIGRATION) {
        assertTrue(lake.read(t).count() > 0, t + " is empty");
      }
    }
    List<Row> scores = lake.read(PublishTables.CUSTOMER_SCORES).collectAsList();
    assertEquals(lake.read(SegmentsTables.CUSTOMER_SEGMENTS).count(), scores.size());
    for (Row r : scores) {
      for (String c :
          List.of(
              "r_score",
              "value_class",
              "rfm_segment",
              "pyramid_tier",
              "cluster_label",
              "churn_probability",
              "risk_band",
              "lifecycle_stage",
              "p_alive",
              "clv",
              "segments_model_version",
              "churn_model_version",
              "clv_model_version")) {
        assertFalse(r.isNullAt(r.fieldIndex(c)), r.getAs("customer_id") + " has no " + c);
      }
    }
    assertTrue(scores.stream().anyMatch(r -> !r.isNullAt(r.fieldIndex("rec_1_item"))));

    double clvCut = topShare(scores, "clv", 0.2);
    double spendCut = topShare(scores, "net_spend", 0.2);
    Set<String> retention = new java.util.TreeSet<>();
    Set<String> winback = new java.util.TreeSet<>();
    Set<String> crossSell = new java.util.TreeSet<>();
    for (Row r : scores) {
      String tier = r.getAs("pyramid_tier");
      boolean high = tier.equals("Platinum") || tier.equals("Gold");
      double p = r.getAs("churn_probability");
      int recency = r.getAs("recency_days");
      boolean churned = "churned".equals(r.getAs("lifecycle_stage"));
      if (p >= 0.5 && (high || r.<Double>getAs("clv") >= clvCut)) {
        retention.add(r.getAs("customer_id"));
      }
      if ((churned || recency >= 180) && (high || r.<Double>getAs("net_spend") >= spendCut)) {
        winback.add(r.getAs("customer_id"));
      }
      if (recency < 180
          && !churned
          && !r.isNullAt(r.fieldIndex("rec_1_score"))
          && r.<Double>getAs("rec_1_score") >= 1.0) {
        crossSell.add(r.getAs("customer_id"));
      }
    }
    assertEquals(retention, ids(PublishTables.RETENTION_TARGETS));
    assertEquals(winback, ids(PublishTables.WINBACK_TARGETS));
    assertEquals(crossSell, ids(PublishTables.CROSS_SELL_TARGETS));
    assertFalse(retention.isEmpty() && crossSell.isEmpty(), "the lists select someone");
  }

  private static Set<String> ids(Table t) {
    return new java.util.TreeSet<>(
        lake.read(t).select("customer_id").as(Encoders.STRING()).collectAsList());
  }

  private static double topShare(List<Row> rows, String column, double share) {
    double[] v = rows.stream().mapToDouble(r -> r.<Double>getAs(column)).sorted().toArray();
    return v[(int) Math.ceil((1 - share) * v.length) - 1];
  }

  @Test
  void everyTableEqualsItsDeclaration() {
    for (Table t : TableRegistry.PIPELINE) {
      assertTrue(lake.exists(t), t + " was written by the pipeline");
      DeltaTable delta = DeltaTable.forPath(spark, lake.path(t));
      StructType actual = delta.toDF().schema();
      assertEquals(List.of(), Table.differences(t.schema(), actual), t + " schema");
      assertEquals(
          List.of(t.schema().fieldNames()), List.of(actual.fieldNames()), t + " column order");
      for (StructField f : t.schema().fields()) {
        assertEquals(
            Table.commentOf(f), Table.commentOf(actual.apply(f.name())), t + "." + f.name());
      }
      Row detail = delta.detail().first();
      assertEquals(t.comment(), detail.getAs("description"), t + " comment");
      assertEquals(
          t.partitionBy(),
          detail.getList(detail.fieldIndex("partitionColumns")),
          t + " partitions");
    }
  }

  @Test
  void describeShowsTheCommentsAndHistoryShowsTheRunOfEachWrite() {
    // DESCRIBE TABLE EXTENDED: (col_name, data_type, comment) per column, then ("Comment",
    // <table comment>, "") among the detailed table information.
    Map<String, Row> described = new LinkedHashMap<>();
    for (Row r : spark.sql("DESCRIBE TABLE EXTENDED gold.customer_segments").collectAsList()) {
      described.putIfAbsent(r.getString(0), r);
    }
    for (StructField f : SegmentsTables.CUSTOMER_SEGMENTS.schema().fields()) {
      assertEquals(Table.commentOf(f), described.get(f.name()).getString(2), f.name());
    }
    assertEquals(SegmentsTables.CUSTOMER_SEGMENTS.comment(), described.get("Comment").getString(1));

    Set<String> runs =
        new HashSet<>(
            lake.read(JobRunLog.JOB_RUNS).select("run_id").as(Encoders.STRING()).collectAsList());
    for (Table t : TableRegistry.PIPELINE) {
      for (Row h : spark.sql("DESCRIBE HISTORY " + t.sqlName()).collectAsList()) {
        String run = h.getAs("userMetadata");
        assertTrue(runs.contains(run), t + " version " + h.getAs("version") + ": " + run);
        assertTrue(run.startsWith(t.producer() + "-") || t == JobRunLog.JOB_RUNS, t + ": " + run);
      }
    }
  }

  @Test
  void aFailureInTheLastPhaseLeavesEveryTableOfTheJobAsItWas() throws Exception {
    // A new landing file (a copy: its lines are duplicates) that ingest would record.
    Path orders = dir.resolve("landing/orders");
    try (Stream<Path> files = Files.list(orders)) {
      Path first = files.filter(p -> p.toString().endsWith(".csv")).sorted().findFirst().get();
      Files.copy(first, orders.resolve("orders-copy.csv"));
    }
    Map<String, Consumer<CrmlakeConfig>> jobs = new LinkedHashMap<>();
    jobs.put("ingest:read and validate", c -> Jobs.ingest(lake, c));
    jobs.put("baskets:recommendations", c -> Jobs.baskets(lake, c));
    jobs.put("segments:segment profiles", c -> Jobs.segments(lake, c));
    jobs.put("clv:full fit", c -> Jobs.clv(lake, c));
    jobs.put("churn:scoring", c -> Jobs.churn(lake, c));
    jobs.put("publish:action lists", c -> Jobs.publish(lake, c, Map.of()));
    for (Map.Entry<String, Consumer<CrmlakeConfig>> job : jobs.entrySet()) {
      String name = job.getKey().substring(0, job.getKey().indexOf(':'));
      List<Table> produced =
          TableRegistry.PIPELINE.stream().filter(t -> t.producer().equals(name)).toList();
      Map<Table, Long> before = versions(produced);
      CrmlakeConfig failing =
          config(
              dir, settings("run.fail-at-phase=" + job.getKey(), "publish.serving.enabled=false"));
      RunContext.InjectedFailure e =
          assertThrows(RunContext.InjectedFailure.class, () -> job.getValue().accept(failing));
      assertTrue(e.getMessage().contains(job.getKey().substring(name.length() + 1)));
      assertEquals(before, versions(produced), name + ": no table of the job changed");
      Row last =
          lake.read(JobRunLog.JOB_RUNS)
              .where("job = '" + name + "'")
              .orderBy(org.apache.spark.sql.functions.col("started_at").desc())
              .first();
      assertEquals("FAILED", last.getAs("status"), name);
      assertTrue(last.<String>getAs("error_message").contains("run.fail-at-phase"), name);
    }
    // Without the failure the same ingest run writes: the new file is recorded.
    long files = lake.read(IngestTables.INGESTED_FILES).count();
    Jobs.ingest(lake, config);
    assertEquals(files + 1, lake.read(IngestTables.INGESTED_FILES).count());
  }

  /**
   * {@code bin/crmlake report} prints the report's path; opened in headless Chromium every section
   * has a drawn chart, no script or console error happened and nothing outside the page was
   * requested (the page's Content-Security-Policy forbids it and its first script writes any error
   * or blocked load to {@code <html data-errors>}); a screenshot is taken. The same check on a copy
   * with a planted external image and a script error shows both, so the check can fail.
   */
  @Test
  void theReportShowsEverySectionWithChartsInChromium() throws Exception {
    Path report = report();
    String html = Files.readString(report);
    for (org.jsoup.nodes.Element e : org.jsoup.Jsoup.parse(html).select("[src], [href]")) {
      String url = e.hasAttr("src") ? e.attr("src") : e.attr("href");
      assertTrue(url.startsWith("#") || url.startsWith("data:"), "external resource: " + e);
    }
    Path work = dir.resolve("browser");
    org.jsoup.nodes.Document dom = org.jsoup.Jsoup.parse(Browser.dom(report, work).dom());
    assertEquals("", dom.select("html").attr("data-errors"), "errors in the page");
    List<String> sections = new java.util.ArrayList<>();
    for (org.jsoup.nodes.Element section : dom.select("main > section")) {
      sections.add(section.id());
      int charts = section.select("figure.chart svg").size();
      assertTrue(charts >= 1, section.id() + " has no chart");
      for (org.jsoup.nodes.Element svg : section.select("figure.chart svg")) {
        assertTrue(svg.select("rect, path, line, polyline").size() > 5, "empty chart: " + svg.id());
      }
    }
    assertEquals(
        List.of("runs", "quality", "cohorts", "segments", "churn", "clv", "baskets", "actions"),
        sections);
    assertTrue(dom.select("section > p.note").stream().noneMatch(p -> p.text().startsWith("Not")));
    // The models in use, each trained by the first pipeline today: 0 days old (1 past midnight).
    List<List<String>> models = new java.util.ArrayList<>();
    for (org.jsoup.nodes.Element tr : dom.select("section#runs table#grid-models tbody tr")) {
      models.add(tr.select("td").eachText());
    }
    assertEquals(
        List.of("association rules", "KMeans clusters", "churn classifier", "CLV parameters"),
        models.stream().map(m -> m.get(0)).toList(),
        models.toString());
    for (List<String> m : models) {
      assertEquals(String.valueOf(Jobs.ageToday(m.get(2))), m.get(4), m.toString());
      assertEquals("trained", m.get(5), m.toString());
    }

    Path png = dir.resolve("report.png");
    Browser.screenshot(report, png, 1400, 2400, work);
    java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(png.toFile());
    assertEquals(1400, image.getWidth());
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 7) {
      for (int x = 0; x < image.getWidth(); x += 7) {
        colours.add(image.getRGB(x, y));
      }
    }
    assertTrue(colours.size() > 50, "the screenshot shows a drawn page: " + colours.size());

    Path planted = dir.resolve("planted.html");
    Files.writeString(
        planted,
        html.replace(
            "</main>",
            "<img src=\"http://127.0.0.1:9/x.png\"><script>noSuchFunction();</script></main>"));
    String errors =
        org.jsoup.Jsoup.parse(Browser.dom(planted, work).dom()).select("html").attr("data-errors");
    assertTrue(errors.contains("blocked: http://127.0.0.1:9/x.png"), errors);
    assertTrue(errors.contains("noSuchFunction"), errors);
  }

  /**
   * A chart's numbers are its table's: the pyramid's tier shares sum to 100 % and equal
   * gold.segment_profiles; the cohort heatmap's cells are gold.cohort_retention's; each ROC curve's
   * area by the trapezoid rule is its candidate's roc_auc (the curve is binned: within 0.02); the
   * CLV tracking's last point is the holdout total of gold.clv_validation.
   */
  @Test
  void theChartsDrawTheirTablesNumbers() throws Exception {
    org.jsoup.nodes.Document doc = org.jsoup.Jsoup.parse(Files.readString(report()));
    Map<String, Double> tiers = new LinkedHashMap<>();
    for (org.jsoup.nodes.Element tr : doc.select("#grid-pyramid-tier tbody tr")) {
      tiers.put(tr.child(0).text(), Double.parseDouble(tr.child(1).attr("data-value")));
    }
    assertEquals(100, tiers.values().stream().mapToDouble(d -> d).sum(), 1e-9);
    Map<String, Double> expected = new LinkedHashMap<>();
    for (Row r :
        lake.read(SegmentsTables.SEGMENT_PROFILES)
            .where("dimension = 'pyramid_tier'")
            .orderBy(org.apache.spark.sql.functions.desc("revenue"))
            .collectAsList()) {
      expected.put(r.getAs("segment"), 100 * r.<Double>getAs("customer_share"));
    }
    assertEquals(expected, tiers);

    Set<String> cells = new java.util.TreeSet<>();
    for (org.jsoup.nodes.Element tr : doc.select("#grid-cohort-retention tbody tr")) {
      cells.add(
          tr.child(1).text() + " +" + tr.child(0).text() + " " + tr.child(2).attr("data-value"));
    }
    Set<String> table = new java.util.TreeSet<>();
    for (Row r : lake.read(SegmentsTables.COHORT_RETENTION).collectAsList()) {
      table.add(
          r.getAs("cohort_month").toString().substring(0, 7)
              + " +"
              + r.getAs("months_since")
              + " "
              + r.getAs("retention"));
    }
    assertEquals(table, cells);

    for (Row m : lake.read(ChurnTables.CHURN_MODEL_METRICS).collectAsList()) {
      List<Row> roc = m.getList(m.fieldIndex("roc_curve"));
      double area = 0;
      for (int i = 1; i < roc.size(); i++) {
        double dx = roc.get(i).getDouble(1) - roc.get(i - 1).getDouble(1);
        assertTrue(dx >= 0, "the ROC curve runs left to right");
        area += dx * (roc.get(i).getDouble(2) + roc.get(i - 1).getDouble(2)) / 2;
      }
      assertEquals(0.0, roc.get(0).getDouble(1));
      assertEquals(1.0, roc.get(roc.size() - 1).getDouble(2));
      assertEquals(m.<Double>getAs("roc_auc"), area, 0.02, m.<String>getAs("candidate"));
    }
    Row all = lake.read(ClvTables.CLV_VALIDATION).where("frequency_group = 'all'").first();
    Row last =
        lake.read(ClvTables.CLV_TRACKING)
            .orderBy(org.apache.spark.sql.functions.desc("days_since"))
            .first();
    assertEquals(all.<Double>getAs("actual_total"), last.<Double>getAs("actual_cumulative"));
    assertEquals(
        all.<Double>getAs("predicted_total"),
        last.<Double>getAs("predicted_cumulative"),
        1e-6 * all.<Double>getAs("predicted_total"));
  }

  /**
   * Every notebook in notebooks/ runs top to bottom against the serving database the pipeline
   * loaded (jupyter nbconvert --execute: a cell error fails it) and draws at least one chart.
   */
  @Test
  void everyNotebookRunsAgainstTheServingDatabase() throws Exception {
    Path notebooks = Path.of(System.getProperty("crmlake.project.dir"), "notebooks");
    List<Path> all;
    try (Stream<Path> files = Files.list(notebooks)) {
      all = files.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
    }
    assertEquals(4, all.size(), all.toString());
    for (Path nb : all) {
      Notebooks.Run run =
          Notebooks.execute(
              nb,
              dir.resolve("notebooks"),
              Map.of("CRMLAKE_PG_DSN", "postgresql://postgres@localhost:" + port + "/postgres"));
      assertEquals(0, run.code(), nb + ":\n" + run.output());
      String executed = Files.readString(run.executed());
      assertFalse(executed.contains("\"output_type\": \"error\""), nb.toString());
      assertTrue(executed.contains("\"image/png\""), nb + " draws a chart");
    }
  }

  private static Path report;

  /** The report of the pipeline run, written once by the CLI (which prints its path). */
  private static synchronized Path report() {
    if (report == null) {
      Cli.Result r =
          Cli.run("report", "--lake", dir.toString(), "--out", dir.resolve("reports").toString());
      assertEquals(0, r.code(), r.out() + r.err());
      String line = r.out().lines().filter(l -> l.startsWith("Report: ")).findFirst().orElseThrow();
      report = Path.of(line.substring("Report: ".length()));
      assertTrue(Files.isRegularFile(report), line);
    }
    return report;
  }

  private static Map<Table, Long> versions(List<Table> tables) {
    Map<Table, Long> v = new LinkedHashMap<>();
    for (Table t : tables) {
      v.put(t, DeltaTable.forPath(spark, lake.path(t)).history(1).first().<Long>getAs("version"));
    }
    return v;
  }
}
