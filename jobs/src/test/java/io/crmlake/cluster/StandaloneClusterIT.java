package io.crmlake.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.crmlake.baskets.BasketsTables;
import io.crmlake.churn.ChurnTables;
import io.crmlake.clv.ClvTables;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.testing.DatasetAssert;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.ingest.IngestTables;
import io.crmlake.publish.EmbeddedServer;
import io.crmlake.publish.PublishTables;
import io.crmlake.segments.SegmentsTables;
import io.crmlake.testing.Jobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Spark standalone cluster on this machine (a master and two workers, executors in their own
 * JVMs): the application jar is submitted in client mode with Spark's SparkSubmit — generate, then
 * the pipeline command, which runs every job in one application and publishes to a PostgreSQL
 * server by URL — and its tables must equal, row for row, those of local-mode runs of the same jobs
 * (KMeans clusters, fitted CLV parameters and churn probabilities within tolerance).
 */
class StandaloneClusterIT extends SparkTestBase {
  private static LocalCluster cluster;
  private static LocalCluster.Endpoints endpoints;
  private static List<Long> pids = new ArrayList<>();
  private static Path pgDir;

  @TempDir static Path state;
  @TempDir Path dir;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster =
        new LocalCluster(
            projectDir().resolve("jobs/target/spark-home"),
            state,
            List.of(
                Files.readString(projectDir().resolve("jobs/target/jvm.options"))
                    .trim()
                    .split("\\s+")));
    endpoints = cluster.start(2, 1, "1500m", Duration.ofMinutes(2));
    assertEquals(2, endpoints.workers());
    for (String line : Files.readAllLines(state.resolve("cluster.properties"))) {
      if (line.contains(".pid=")) {
        pids.add(Long.parseLong(line.substring(line.indexOf('=') + 1)));
      }
    }
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (pgDir != null) {
      EmbeddedServer.stop(pgDir);
    }
    if (cluster != null) {
      cluster.stop();
      for (long pid : pids) {
        assertFalse(
            ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
            "process " + pid + " left behind");
      }
    }
  }

  /** A command line submitted with SparkSubmit against the cluster, running or ended. */
  private record Submission(String name, Process process, long started) {
    /**
     * Waits for the submission to end (at most ten minutes; then it is killed and the test fails)
     * and returns its exit code.
     */
    int exitCode() throws Exception {
      if (!process.waitFor(10, TimeUnit.MINUTES)) {
        process.destroyForcibly().waitFor(1, TimeUnit.MINUTES);
        fail("submission " + name + " did not finish in ten minutes: killed");
      }
      System.err.printf("submission %s took %.1f s%n", name, (System.nanoTime() - started) / 1e9);
      return process.exitValue();
    }
  }

  /** Runs bin/crmlake's command line through SparkSubmit against the cluster, to its end. */
  private int submit(Path log, String... args) throws Exception {
    return start(log, args).exitCode();
  }

  /** Starts bin/crmlake's command line through SparkSubmit against the cluster. */
  private Submission start(Path log, String... args) throws Exception {
    long start = System.nanoTime();
    Path appJar = projectDir().resolve("jobs/target/crmlake-jobs-0.1.0-SNAPSHOT-app.jar");
    String flags = String.join(" ", cluster.jvmFlags());
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(cluster.jvmFlags());
    cmd.add("-Dlog4j2.configurationFile=" + projectDir().resolve("conf/log4j2.properties"));
    cmd.add("-Dcrmlake.home=" + projectDir());
    cmd.add("-cp");
    cmd.add(cluster.sparkHome().resolve("jars") + "/*");
    cmd.add("org.apache.spark.deploy.SparkSubmit");
    cmd.addAll(
        List.of(
            "--master",
            endpoints.masterUrl(),
            "--deploy-mode",
            "client",
            "--conf",
            "spark.executor.extraJavaOptions=" + flags,
            "--conf",
            "spark.executor.memory=1g",
            "--conf",
            "spark.sql.shuffle.partitions=4",
            "--conf",
            "spark.ui.enabled=false",
            appJar.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARK_HOME", cluster.sparkHome().toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return new Submission(args[0], pb.start(), start);
  }

  private static Dataset<Row> comparable(Lake lake, Table t, String... volatileColumns) {
    return lake.read(t).drop(volatileColumns);
  }

  @Test
  void everyJobOnTheClusterEqualsLocalMode() throws Exception {
    Path clusterLake = dir.resolve("cluster-lake");
    Path landing = dir.resolve("landing");
    String[] sample = {
      "--set", "generate.customers=1500",
      "--set", "generate.start=2024-01-01",
      "--set", "generate.end=2024-06-30",
      "--set", "generate.output=" + landing,
      "--set", "generate.customers-per-partition=300",
      "--set", "segments.rfm.quantile-error=0",
      "--set", "segments.kmeans.k-max=3",
      "--set", "segments.kmeans.seeds=1",
      "--set", "segments.kmeans.sample-size=2000",
      "--set", "clv.starts=1",
      "--set", "churn.horizon-days=60",
      "--set", "churn.min-history-days=60",
      "--set", "churn.max-cutoffs=2",
      "--set", "churn.candidates=[logistic]",
      "--set", "churn.grid.logistic.reg-param=[0.01]",
    };
    // The serving database: a real PostgreSQL the cluster's driver reaches by URL (the embedded
    // server is not in the application jar), one schema for the cluster run, one for local mode.
    pgDir = dir.resolve("pg");
    EmbeddedServer.Running pg = EmbeddedServer.ensureRunning(pgDir, freePort());
    boolean cdnow = Files.isDirectory(projectDir().resolve("../shared/data/cdnow"));
    String sampleSource = projectDir().resolve("conf/sources/sample.conf").toString();
    String cdnowSource = projectDir().resolve("conf/sources/cdnow_sample.conf").toString();
    String sources =
        cdnow
            ? "[\"" + sampleSource + "\", \"" + cdnowSource + "\"]"
            : "[\"" + sampleSource + "\"]";
    List<String> generate = new ArrayList<>(List.of("generate", "--lake", clusterLake.toString()));
    generate.addAll(List.of(sample));
    assertEquals(
        0,
        submit(dir.resolve("generate.log"), generate.toArray(String[]::new)),
        log(dir, "generate.log"));
    // Every job of the pipeline in one application. The cluster's driver and executors wait on
    // each other much of the time, so the same jobs run in local mode meanwhile, in this JVM.
    List<String> pipeline = new ArrayList<>(List.of("pipeline", "--lake", clusterLake.toString()));
    pipeline.addAll(List.of(sample));
    pipeline.addAll(List.of("--set", "ingest.sources=" + sources));
    pipeline.addAll(List.of("--set", "publish.serving.url=" + pg.jdbcUrl()));
    Submission onTheCluster = start(dir.resolve("pipeline.log"), pipeline.toArray(String[]::new));
    // The same jobs in local mode, on the same landing files.
    List<String> localSets = new ArrayList<>(List.of("generate.output=" + landing));
    for (int i = 1; i < sample.length; i += 2) {
      if (sample[i].startsWith("segments.")
          || sample[i].startsWith("clv.")
          || sample[i].startsWith("churn.")) {
        localSets.add(sample[i]);
      }
    }
    CrmlakeConfig local = config(dir.resolve("local-lake"), localSets.toArray(String[]::new));
    Lake localLake = lake(local);
    long localStart = System.nanoTime();
    try {
      if (cdnow) {
        Jobs.ingest(localLake, local, sampleSource, cdnowSource);
      } else {
        Jobs.ingest(localLake, local, sampleSource);
      }
      Jobs.baskets(localLake, local);
      Jobs.segments(localLake, local);
      Jobs.clv(localLake, local);
      Jobs.churn(localLake, local);
      CrmlakeConfig localPublish =
          config(
              dir.resolve("local-lake"),
              "publish.serving.url=" + pg.jdbcUrl(),
              "publish.serving.schema=local_run");
      Jobs.publish(localLake, localPublish, java.util.Map.of());
      System.err.printf("local mode took %.1f s%n", (System.nanoTime() - localStart) / 1e9);
    } catch (Exception | Error e) {
      onTheCluster.process().destroyForcibly();
      throw e;
    }
    assertEquals(0, onTheCluster.exitCode(), log(dir, "pipeline.log"));
    String out = Files.readString(dir.resolve("pipeline.log"));
    assertTrue(out.contains("KMeans: chose K = "), log(dir, "pipeline.log"));
    assertTrue(out.contains("total expected CLV"), log(dir, "pipeline.log"));
    assertTrue(out.contains("winner: logistic"), log(dir, "pipeline.log"));
    assertTrue(out.contains("== pipeline summary"), log(dir, "pipeline.log"));
    Lake onCluster = lake(config(clusterLake));
    long lines = localLake.read(IngestTables.TRANSACTIONS).where("source = 'sample'").count();
    assertTrue(lines > 2_000, "a non-trivial lake: " + lines);
    if (cdnow) {
      assertEquals(
          6_919L,
          onCluster.read(IngestTables.TRANSACTIONS).where("source = 'cdnow_sample'").count());
    }
    DatasetAssert.assertSameRows(
        comparable(localLake, IngestTables.TRANSACTIONS, "ingest_run_id", "ingested_at"),
        comparable(onCluster, IngestTables.TRANSACTIONS, "ingest_run_id", "ingested_at"));
    DatasetAssert.assertSameRows(
        comparable(localLake, IngestTables.TRANSACTIONS_REJECTED, "ingest_run_id", "rejected_at"),
        comparable(onCluster, IngestTables.TRANSACTIONS_REJECTED, "ingest_run_id", "rejected_at"));
    DatasetAssert.assertSameRows(
        comparable(localLake, IngestTables.TRANSACTIONS_RAW, "ingest_run_id", "ingested_at"),
        comparable(onCluster, IngestTables.TRANSACTIONS_RAW, "ingest_run_id", "ingested_at"));
    for (Table gold :
        List.of(
            BasketsTables.FREQUENT_ITEMSETS,
            BasketsTables.ASSOCIATION_RULES,
            BasketsTables.PRODUCT_RECOMMENDATIONS)) {
      DatasetAssert.assertSameRows(
          comparable(localLake, gold, "model_version"),
          comparable(onCluster, gold, "model_version"));
    }
    assertTrue(onCluster.read(BasketsTables.ASSOCIATION_RULES).count() > 5);
    // Features, scores, classes and tiers are exact; KMeans' initialisation depends on the
    // partitioning, so clusters are only checked to exist.
    DatasetAssert.assertSameRows(
        localLake.read(SegmentsTables.CUSTOMER_FEATURES),
        onCluster.read(SegmentsTables.CUSTOMER_FEATURES));
    DatasetAssert.assertSameRows(
        comparable(
            localLake,
            SegmentsTables.CUSTOMER_SEGMENTS,
            "cluster_id",
            "cluster_label",
            "model_version"),
        comparable(
            onCluster,
            SegmentsTables.CUSTOMER_SEGMENTS,
            "cluster_id",
            "cluster_label",
            "model_version"));
    assertEquals(
        0, onCluster.read(SegmentsTables.CUSTOMER_SEGMENTS).where("cluster_label IS NULL").count());

    // CLV: the same customers and summaries. The fits reach the same optimum: log-likelihoods agree
    // to 1e-6 (sums are added up in a different order on the cluster), and each parameter agrees
    // to 1e-4 of itself or a tenth of its standard error, whichever is wider: BG/NBD's a and b
    // lie on a flat ridge of the likelihood when few customers drop out, where the optimiser's
    // stopping point moves along the ridge without changing the fit. Where the ridge is so flat
    // that the parameter is not identified (no standard error, or one above the value), both fits
    // must report that, and its value is not compared (147.165 here, 147.440 on the cluster, in
    // one CI run): what the fits predict is, below, per customer.
    DatasetAssert.assertSameRows(
        localLake.read(ClvTables.CLV).select("customer_id", "frequency", "recency", "t"),
        onCluster.read(ClvTables.CLV).select("customer_id", "frequency", "recency", "t"));
    List<Row> localFits =
        localLake
            .read(ClvTables.CLV_MODELS)
            .orderBy("model", "fit")
            .select("params", "std_errors", "log_likelihood")
            .collectAsList();
    List<Row> clusterFits =
        onCluster
            .read(ClvTables.CLV_MODELS)
            .orderBy("model", "fit")
            .select("params", "std_errors", "log_likelihood")
            .collectAsList();
    assertEquals(4, clusterFits.size());
    for (int i = 0; i < 4; i++) {
      double ll = localFits.get(i).getDouble(2);
      assertEquals(ll, clusterFits.get(i).getDouble(2), 1e-6 * Math.abs(ll), "log-likelihood");
      java.util.Map<String, Double> a =
          scala.jdk.javaapi.CollectionConverters.asJava(localFits.get(i).<String, Double>getMap(0));
      java.util.Map<String, Double> se =
          scala.jdk.javaapi.CollectionConverters.asJava(localFits.get(i).<String, Double>getMap(1));
      java.util.Map<String, Double> b =
          scala.jdk.javaapi.CollectionConverters.asJava(
              clusterFits.get(i).<String, Double>getMap(0));
      java.util.Map<String, Double> seCluster =
          scala.jdk.javaapi.CollectionConverters.asJava(
              clusterFits.get(i).<String, Double>getMap(1));
      for (String k : a.keySet()) {
        Double error = se.get(k);
        // Not identified: no standard error (singular information along the ridge), or one larger
        // than the value itself. Then the cluster's fit must say the same, and the value may move
        // 1e-3 of itself along the ridge.
        boolean unidentified = error == null || error.isNaN() || error > Math.abs(a.get(k));
        if (unidentified) {
          Double other = seCluster.get(k);
          assertTrue(
              other == null || other.isNaN() || other > Math.abs(b.get(k)),
              k + ": standard error " + error + " here, " + other + " on the cluster");
        }
        if (!unidentified) {
          double tolerance = Math.max(1e-4 * Math.abs(a.get(k)), 0.1 * error);
          assertEquals(a.get(k), b.get(k), tolerance, k + " (standard error " + error + ")");
        }
      }
    }
    // What the fits predict for every customer: P(alive) to 1e-3, expected purchases and CLV to
    // 1e-3 of themselves (a move along the ridge changes predictions far less than the values).
    Row clvDiff =
        localLake
            .read(ClvTables.CLV)
            .as("l")
            .join(onCluster.read(ClvTables.CLV).as("c"), "customer_id")
            .selectExpr(
                "count(*)",
                "max(abs(l.p_alive - c.p_alive))",
                "max(abs(l.expected_purchases - c.expected_purchases)"
                    + " / greatest(abs(l.expected_purchases), 1e-9))",
                "max(abs(l.clv - c.clv) / greatest(abs(l.clv), 1e-9))")
            .first();
    assertEquals(localLake.read(ClvTables.CLV).count(), clvDiff.getLong(0), "customers with a CLV");
    assertTrue(clvDiff.getDouble(1) < 1e-3, "P(alive) differs by " + clvDiff.getDouble(1));
    assertTrue(clvDiff.getDouble(2) < 1e-3, "expected purchases differ by " + clvDiff.getDouble(2));
    assertTrue(clvDiff.getDouble(3) < 1e-3, "CLV differs by " + clvDiff.getDouble(3));

    // Churn: the same customers, features, stages and bands' inputs exactly; the logistic model is
    // fitted by L-BFGS over sums added in another order, so raw scores agree to 1e-4, and the
    // calibrated probabilities (isotonic steps) on average to 1e-3.
    String[] exact = {
      "customer_id",
      "as_of_date",
      "recency_days",
      "purchase_days",
      "tenure_days",
      "lifecycle_stage",
      "left_stage",
      "churn_type"
    };
    DatasetAssert.assertSameRows(
        localLake
            .read(ChurnTables.CHURN_SCORES)
            .select(exact[0], java.util.Arrays.copyOfRange(exact, 1, exact.length)),
        onCluster
            .read(ChurnTables.CHURN_SCORES)
            .select(exact[0], java.util.Arrays.copyOfRange(exact, 1, exact.length)));
    Row diff =
        localLake
            .read(ChurnTables.CHURN_SCORES)
            .as("l")
            .join(onCluster.read(ChurnTables.CHURN_SCORES).as("c"), "customer_id")
            .selectExpr(
                "max(abs(l.churn_score - c.churn_score))",
                "avg(abs(l.churn_probability - c.churn_probability))",
                "max(abs(l.p_alive - c.p_alive))",
                "count(*)")
            .first();
    assertTrue(diff.getLong(3) > 100, "customers scored: " + diff.getLong(3));
    assertTrue(diff.getDouble(0) < 1e-4, "raw churn scores differ by " + diff.getDouble(0));
    assertTrue(diff.getDouble(1) < 1e-3, "churn probabilities differ by " + diff.getDouble(1));
    assertTrue(diff.getDouble(2) < 1e-4, "P(alive) differs by " + diff.getDouble(2));

    // Publish: one row per customer with the same scores; churn and clv columns within the
    // tolerances above; the served table holds the cluster's rows.
    String[] scoreColumns = {
      "customer_id",
      "in_scope",
      "as_of_date",
      "first_purchase_date",
      "last_purchase_date",
      "recency_days",
      "orders",
      "net_spend",
      "r_score",
      "f_score",
      "m_score",
      "rfm_segment",
      "value_class",
      "pyramid_tier",
      "risk_band",
      "lifecycle_stage",
      "rec_1_item",
      "rec_2_item",
      "rec_3_item"
    };
    DatasetAssert.assertSameRows(
        localLake
            .read(PublishTables.CUSTOMER_SCORES)
            .select(
                scoreColumns[0],
                java.util.Arrays.copyOfRange(scoreColumns, 1, scoreColumns.length)),
        onCluster
            .read(PublishTables.CUSTOMER_SCORES)
            .select(
                scoreColumns[0],
                java.util.Arrays.copyOfRange(scoreColumns, 1, scoreColumns.length)));
    Row scoreDiff =
        localLake
            .read(PublishTables.CUSTOMER_SCORES)
            .as("l")
            .join(onCluster.read(PublishTables.CUSTOMER_SCORES).as("c"), "customer_id")
            .selectExpr(
                "avg(abs(l.churn_probability - c.churn_probability))",
                "max(abs(l.p_alive - c.p_alive))",
                "count(*)")
            .first();
    assertTrue(scoreDiff.getDouble(0) < 1e-3, "churn probabilities differ by " + scoreDiff);
    assertTrue(scoreDiff.getDouble(1) < 1e-4, "P(alive) differs by " + scoreDiff);
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
        java.sql.ResultSet rs =
            c.createStatement().executeQuery("SELECT count(*) FROM crm.customer_scores")) {
      rs.next();
      assertEquals(onCluster.read(PublishTables.CUSTOMER_SCORES).count(), rs.getLong(1));
    }

    List<String> apps = cluster.applications();
    assertEquals(List.of("crmlake-generate", "crmlake-pipeline"), apps.stream().sorted().toList());
    // Each job of the pipeline logged its run, with the pipeline's run id.
    assertEquals(
        List.of("baskets", "churn", "clv", "ingest", "publish", "segments"),
        onCluster
            .read(JobRunLog.JOB_RUNS)
            .where("status = 'SUCCEEDED' AND pipeline_run_id IS NOT NULL")
            .select("job")
            .distinct()
            .orderBy("job")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList());
    assertEquals(
        1,
        onCluster
            .read(JobRunLog.JOB_RUNS)
            .where("pipeline_run_id IS NOT NULL")
            .select("pipeline_run_id")
            .distinct()
            .count());
  }

  private static int freePort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String log(Path dir, String name) throws Exception {
    String text = Files.readString(dir.resolve(name));
    return text.length() > 6000 ? text.substring(text.length() - 6000) : text;
  }
}
