package io.crmlake.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.lake.TableId;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.testing.DatasetAssert;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.ingest.IngestTables;
import io.crmlake.publish.EmbeddedServer;
import io.crmlake.publish.PublishTables;
import io.crmlake.tables.TableRegistry;
import io.crmlake.testing.ChildJvm;
import io.crmlake.testing.Cli;
import io.crmlake.testing.Jobs;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash at any point. Each run is a child JVM that blocks right after its commit to a chosen table
 * ({@code run.halt-after-commit = <job>:<table>}) and is killed there with SIGKILL; the next run of
 * the job is killed at the next table, and so on through its record in {@code ops.job_runs}.
 *
 * <ul>
 *   <li>Lane 1, a lake that starts empty: the first runs of ingest (after each of its five commits,
 *       also between the silver commit and the file log), baskets, segments and clv (which reads
 *       silver only).
 *   <li>Lane 2, a copy of the finished reference lake: re-runs of churn and publish (with the
 *       serving database), then {@code pipeline --from clv} killed at random moments (seeded) and
 *       resumed to its end.
 * </ul>
 *
 * <p>The two lanes run at once, each about as long as the other (the machine's two cores are busy
 * throughout); the reference pipeline runs in this JVM before lane 2 starts.
 *
 * <p>Every kill point is logged and appended to {@code target/crash-kills.log} (random ones with
 * their delay and seed), so a failure can be replayed. After every kill the tables the killed job
 * writes (its own and the run log; after a random kill, every table of the lake) must be readable
 * and the served table absent or whole; at the end both lakes must equal, table by table ({@link
 * DatasetAssert}, run ids and timestamps aside), the lake one uninterrupted pipeline built from the
 * same landing files in this JVM; ingest's books must balance (read = stored + duplicates +
 * rejected, no line stored or quarantined twice, no file recorded twice); and every killed run that
 * had not recorded itself must be in {@code ops.job_runs} as INTERRUPTED.
 *
 * <p>The children get a planted database password and S3 secret key; neither may appear in any
 * output, in {@code ops.job_runs}, or in the Spark UI's environment page of a live child.
 */
class CrashRecoveryTest extends SparkTestBase {
  @TempDir static Path dir;

  static final String SECRET = "planted-secret-7f3a9c";
  static final String S3_SECRET = "planted-s3-key-c2d4e6";

  /** A fixed seed, logged; set -Dcrmlake.crash.seed=N to replay another run's random kills. */
  static final long SEED = Long.getLong("crmlake.crash.seed", 20261124L);

  static final List<String> KILLS = java.util.Collections.synchronizedList(new ArrayList<>());
  static int port;

  @AfterAll
  static void stopServer() {
    EmbeddedServer.stop(dir.resolve("pg"));
  }

  static List<String> settings(Path lakeRoot, String schema) {
    return List.of(
        "lake.landing=" + dir.resolve("landing"),
        "generate.customers=300",
        "generate.start=2024-01-01",
        "generate.end=2024-05-31",
        "generate.customers-per-partition=150",
        "segments.kmeans.k-max=3",
        "segments.kmeans.seeds=1",
        "churn.horizon-days=30",
        "churn.min-history-days=30",
        "churn.max-cutoffs=2",
        "churn.candidates=[logistic]",
        "churn.grid.logistic.reg-param=[0.01]",
        "clv.starts=1",
        "publish.serving.schema=" + schema,
        "publish.serving.embedded.port=" + port,
        "publish.serving.embedded.data-dir=" + dir.resolve("pg"),
        "run.lock-timeout=6s",
        "spark.master=local[2]",
        // As the test's own session, which computes the reference: KMeans and the forests
        // depend on the partitioning.
        "spark.conf.\"spark.sql.shuffle.partitions\"=2",
        "spark.conf.\"spark.default.parallelism\"=2",
        // As the test's own session too (pom.xml's test flags): expressions interpreted, not
        // compiled. On lakes this small compiling costs more than it saves (each child compiles
        // every plan afresh), and the reference, computed in this JVM, adds its sums up the same
        // way to the last digit (which the CLV fits' iteration counts depend on).
        "spark.conf.\"spark.sql.codegen.factoryMode\"=NO_CODEGEN",
        "spark.conf.\"spark.sql.codegen.wholeStage\"=false",
        "spark.conf.\"spark.hadoop.fs.s3a.secret.key\"=" + S3_SECRET);
  }

  static List<String> args(Path lakeRoot, String schema, List<String> command, String... more) {
    List<String> out = new ArrayList<>(command);
    out.add("--lake");
    out.add(lakeRoot.toString());
    for (String s :
        Stream.concat(settings(lakeRoot, schema).stream(), Arrays.stream(more)).toList()) {
      out.add("--set");
      out.add(s);
    }
    return out;
  }

  static final String UI_OFF = "spark.conf.\"spark.ui.enabled\"=false";

  /**
   * The resumed pipeline of lane 2, fitting CLV again although the copied lake's fit is 0 days old
   * (the refresh policy would reuse it): the random kills land in a fit, as they are meant to.
   */
  static final List<String> FIT_CLV =
      List.of("pipeline", "--from", "clv", "--set", "clv.retrain-now=true");

  static final Path LOGS = projectDir().resolve("jobs/target/crash-logs");
  static final java.util.concurrent.atomic.AtomicInteger CHILDREN =
      new java.util.concurrent.atomic.AtomicInteger();

  static ChildJvm child(Path lake, List<String> command, String... more) throws Exception {
    return ChildJvm.start(
        LOGS,
        String.format("%02d-%s", CHILDREN.incrementAndGet(), String.join("-", command)),
        Map.of("CRMLAKE_DB_PASSWORD", SECRET),
        args(lake, "crm", command, more));
  }

  /** Random kills that found no job run holding its lock (starting up, or between two jobs). */
  static final java.util.Set<String> NO_RUN = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Whether a lock file of the lake names process {@code pid} as a holder that has not recorded
   * itself: the run a kill of that process leaves to be recorded as interrupted. Read as plain
   * properties, independently of JobLock.
   */
  static boolean holdsUnrecordedLock(Path lakeRoot, long pid) throws Exception {
    Path locks = lakeRoot.resolve("_locks");
    if (!Files.isDirectory(locks)) {
      return false;
    }
    try (Stream<Path> files = Files.list(locks)) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".lock")).toList()) {
        java.util.Properties p = new java.util.Properties();
        try (var in = Files.newBufferedReader(f)) {
          p.load(in);
        }
        if (String.valueOf(pid).equals(p.getProperty("pid"))
            && !Boolean.parseBoolean(p.getProperty("recorded"))) {
          return true;
        }
      }
    }
    return false;
  }

  static synchronized void kill(String where, ChildJvm c) throws Exception {
    c.kill();
    KILLS.add(where);
    String line = "kill " + KILLS.size() + ": " + where + " (pid " + c.pid() + ")";
    System.out.println("crash drill: " + line);
    Files.writeString(
        projectDir().resolve("jobs/target/crash-kills.log"),
        line + "\n",
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
  }

  /** Every table the lake lists must be readable, and every declared table it has. */
  static void everyTableReadable(Lake lake, String after) {
    tablesReadable(lake, lake.listTables(), after);
  }

  /**
   * The tables a killed run of {@code job} may have written (its own and the run log) must be
   * readable: no other table is written by its process (the runner refuses it), and every table is
   * compared with the reference at the end.
   */
  static void jobTablesReadable(Lake lake, String job, String after) {
    List<TableId> written = new ArrayList<>();
    for (Table t : TableRegistry.PIPELINE) {
      if ((t.producer().equals(job) || t == JobRunLog.JOB_RUNS) && lake.exists(t)) {
        written.add(t.id());
      }
    }
    tablesReadable(lake, written, after);
  }

  private static void tablesReadable(Lake lake, List<TableId> tables, String after) {
    for (TableId t : tables) {
      try {
        lake.spark()
            .read()
            .format("delta")
            .load(lake.root() + "/" + t.layer() + "/" + t.name())
            .limit(1)
            .collectAsList();
      } catch (RuntimeException e) {
        throw new AssertionError(t + " is not readable after " + after + ": " + e, e);
      }
    }
  }

  /**
   * Runs {@code command} once per target table of {@code job}, each run blocking right after its
   * commit to that table ({@code run.halt-after-commit = <job>:<table>}) and killed there; a run
   * that does not write the table completes. The last target is {@code ops.job_runs}: a run killed
   * there had written everything, so the job is done; if it did not halt there, it completed.
   * Returns the kills made.
   */
  static int chain(Lake lake, Path root, String job, List<String> command, String... targets)
      throws Exception {
    int kills = 0;
    for (String target : targets) {
      boolean ui = UI_CHECKED.compareAndSet(false, true);
      int uiPort = freePort();
      ChildJvm c =
          child(
              root,
              command,
              "run.halt-after-commit=" + job + ":" + target,
              "spark.conf.\"spark.ui.enabled\"=" + ui,
              "spark.conf.\"spark.ui.port\"=" + uiPort);
      if (c.awaitLine("crmlake: halting after commit", Duration.ofMinutes(5))) {
        if (ui) {
          assertUiRedacts(uiPort);
        }
        String marker =
            c.out().lines().filter(l -> l.startsWith("crmlake: halting")).findFirst().orElseThrow();
        kill(
            root.getFileName()
                + ": "
                + String.join(" ", command)
                + ": "
                + job
                + " "
                + marker.substring(9),
            c);
        kills++;
        jobTablesReadable(lake, job, "a kill of " + job + " after its commit to " + target);
        assertServingComplete(job + " after " + target);
      } else {
        assertEquals(0, c.waitFor(Duration.ofMinutes(5)), c.tail());
        System.out.println("crash drill: " + job + " wrote no " + target + " this time");
      }
    }
    return kills;
  }

  static final java.util.concurrent.atomic.AtomicBoolean UI_CHECKED =
      new java.util.concurrent.atomic.AtomicBoolean();

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static int referenceCustomers = -1;

  /** The served customer table is absent (never swapped in) or whole: never a partial load. */
  static void assertServingComplete(String after) throws Exception {
    try (Connection db =
            DriverManager.getConnection(
                EmbeddedServer.status(dir.resolve("pg")).orElseThrow().jdbcUrl(), "postgres", "");
        Statement st = db.createStatement()) {
      for (String schema : List.of("crm")) {
        try (ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = '"
                    + schema
                    + "' AND table_name = 'customer_scores'")) {
          rs.next();
          if (rs.getLong(1) == 0) {
            continue;
          }
        }
        try (ResultSet rs =
            st.executeQuery("SELECT count(*) FROM " + schema + ".customer_scores")) {
          rs.next();
          assertEquals(referenceCustomers, rs.getLong(1), "served rows after " + after);
        }
      }
    }
  }

  /** Columns that name a run or a moment, which differ between any two runs by design. */
  static final Pattern VOLATILE =
      Pattern.compile(
          "(.*_)?run_id|.*model_version|version|(ingested|rejected|trained|updated|published"
              + "|started|ended)_at|spark_app_id|config_hash|.*_ms");

  /**
   * The rows to compare of a table. A model history (appended rows of every run, by {@code
   * model_version}) gets a run's rows for each run that committed to it — a run killed after that
   * commit, and its re-run, are two runs — so its newest run's rows are compared.
   */
  static Dataset<Row> latestRun(Table t, Dataset<Row> rows) {
    if (t.mode() != Table.WriteMode.APPEND
        || !java.util.Arrays.asList(rows.columns()).contains("model_version")) {
      return rows;
    }
    String newest = rows.agg(functions.max("model_version")).first().getString(0);
    return rows.where(functions.col("model_version").equalTo(newest));
  }

  static Dataset<Row> comparable(Dataset<Row> rows) {
    List<Column> cols = new ArrayList<>();
    for (StructField f : rows.schema().fields()) {
      if (!VOLATILE.matcher(f.name()).matches()) {
        cols.add(functions.col("`" + f.name() + "`"));
      }
    }
    return rows.select(cols.toArray(Column[]::new));
  }

  /**
   * How far floating-point values may differ, relative to their size: a re-run may add the same
   * numbers up in another order (its tables are laid out in other files), never more.
   */
  static final double SUMMATION_ORDER = 1e-7;

  @Test
  void killedAtEveryCommitAndAtRandomTheLakeEndsAsIfNothingHappened() throws Exception {
    port = freePort();
    EmbeddedServer.ensureRunning(dir.resolve("pg"), port);
    Files.deleteIfExists(projectDir().resolve("jobs/target/crash-kills.log"));
    if (Files.exists(LOGS)) {
      try (Stream<Path> old = Files.list(LOGS)) {
        for (Path f : old.toList()) {
          Files.delete(f);
        }
      }
    }
    System.out.println(
        "crash drill: seed " + SEED + " (replay with -Dcrmlake.crash.seed=" + SEED + ")");
    Path refRoot = dir.resolve("reference");
    Path freshRoot = dir.resolve("fresh");
    Path rerunRoot = dir.resolve("rerun");
    CrmlakeConfig refConfig =
        config(refRoot, settings(refRoot, "reference").toArray(String[]::new));
    Lake ref = lake(refConfig);
    Jobs.generate(ref, refConfig);
    Lake fresh = lake(config(freshRoot, settings(freshRoot, "crm").toArray(String[]::new)));
    Lake rerun = lake(config(rerunRoot, settings(rerunRoot, "crm").toArray(String[]::new)));

    // Lane 1, on a lake that starts empty: first runs of ingest, baskets, segments and clv, killed
    // after each of their commits (ingest also between its silver commit and its file log).
    java.util.concurrent.ExecutorService lanes =
        java.util.concurrent.Executors.newFixedThreadPool(1);
    java.util.concurrent.Future<Integer> lane1 =
        lanes.submit(
            () ->
                chain(
                        fresh,
                        freshRoot,
                        "ingest",
                        List.of("ingest"),
                        "bronze.transactions_raw",
                        "silver.transactions_rejected",
                        "silver.customer_days",
                        "silver.transactions",
                        "ops.ingested_files",
                        "ops.job_runs")
                    + chain(
                        fresh,
                        freshRoot,
                        "baskets",
                        List.of("baskets"),
                        "gold.frequent_itemsets",
                        "gold.association_rules",
                        "ops.job_runs")
                    + chain(
                        fresh,
                        freshRoot,
                        "segments",
                        List.of("segments"),
                        "gold.customer_features",
                        "gold.segment_profiles",
                        "ops.job_runs")
                    + chain(fresh, freshRoot, "clv", List.of("clv"), "gold.clv", "ops.job_runs"));

    // The reference meanwhile: one uninterrupted pipeline, in this JVM.
    List<String> refArgs = args(refRoot, "reference", List.of("pipeline"));
    Cli.Result refRun = Cli.run(refArgs.toArray(String[]::new));
    assertEquals(0, refRun.code(), refRun.out() + refRun.err());
    referenceCustomers = (int) ref.read(PublishTables.CUSTOMER_SCORES).count();
    if (lane1.isDone()) {
      lane1.get(); // a failure of lane 1 shows now
    }

    // Lane 2, on a copy of the finished reference lake.
    copy(refRoot, rerunRoot);
    int kills = 0;
    kills +=
        chain(
            rerun,
            rerunRoot,
            "churn",
            // The copied lake has a committed model 0 days old: train anyway, as before the
            // refresh policy, so the drill kills a training run after its first commit.
            List.of("churn", "--set", "churn.retrain-now=true"),
            "gold.churn_model_metrics",
            "ops.job_runs");
    kills +=
        chain(
            rerun,
            rerunRoot,
            "publish",
            List.of("publish"),
            "gold.customer_scores",
            "gold.retention_targets",
            "ops.job_runs");
    // A whole `pipeline --from clv` killed at random moments, then resumed to its end.
    Random random = new Random(SEED);
    for (int i = 0; i < 2; i++) {
      long delay = 5_000 + random.nextInt(30_000);
      ChildJvm c = child(rerunRoot, FIT_CLV, UI_OFF);
      Thread.sleep(delay);
      if (!c.isAlive()) {
        System.out.println("crash drill: the pipeline ended before " + delay + " ms");
        continue;
      }
      String where = "rerun: pipeline --from clv: at " + delay + " ms (seed " + SEED + ")";
      kill(where, c);
      if (!holdsUnrecordedLock(rerunRoot, c.pid())) {
        // Killed while starting, waiting for a lock or between two jobs: no run to record.
        NO_RUN.add(where);
        System.out.println("crash drill: that kill found no run of a job holding its lock");
      }
      kills++;
      everyTableReadable(rerun, "a kill at " + delay + " ms");
      assertServingComplete("a kill at " + delay + " ms");
    }
    ChildJvm finish = child(rerunRoot, FIT_CLV, UI_OFF);
    assertEquals(0, finish.waitFor(Duration.ofMinutes(10)), finish.tail());
    assertServingComplete("the completed pipeline");
    kills += lane1.get();
    lanes.shutdown();
    assertTrue(kills >= 20, "kills: " + kills + "\n" + String.join("\n", KILLS));

    // Every table equals the uninterrupted lake's (run ids, moments and timings aside; of a model
    // history, the newest run).
    for (Table t : TableRegistry.PIPELINE) {
      if (t == JobRunLog.JOB_RUNS || !ref.exists(t)) {
        continue;
      }
      List<Lake> lakes = new ArrayList<>(List.of(rerun));
      if (List.of("ingest", "baskets", "segments", "clv").contains(t.producer())) {
        lakes.add(fresh);
      }
      for (Lake l : lakes) {
        assertTrue(l.exists(t), t + " exists in " + l.root());
        try {
          DatasetAssert.assertSameRows(
              comparable(latestRun(t, ref.read(t))),
              comparable(latestRun(t, l.read(t))),
              SUMMATION_ORDER);
        } catch (AssertionError e) {
          throw new AssertionError(
              t + " of " + l.root() + " differs from the uninterrupted run: " + e.getMessage(), e);
        }
      }
    }
    // Ingest's books: nothing stored or quarantined twice; read = stored + duplicates + rejected.
    Dataset<Row> silver = fresh.read(IngestTables.TRANSACTIONS);
    assertEquals(silver.count(), silver.select("line_id").distinct().count());
    Row books =
        fresh
            .read(IngestTables.INGESTED_FILES)
            .agg(
                functions.sum("rows_read"),
                functions.sum("rows_stored"),
                functions.sum("rows_duplicate"),
                functions.sum("rows_rejected"),
                functions.count("*"),
                functions.countDistinct("file_path"))
            .first();
    assertEquals(books.getLong(0), books.getLong(1) + books.getLong(2) + books.getLong(3));
    assertEquals(silver.count(), books.getLong(1));
    assertEquals(fresh.read(IngestTables.TRANSACTIONS_REJECTED).count(), books.getLong(3));
    assertEquals(books.getLong(4), books.getLong(5), "a file recorded twice");

    // The audit log: every killed run that had not recorded itself is INTERRUPTED.
    for (Lake l : List.of(fresh, rerun)) {
      String name = Path.of(URI.create(l.root())).getFileName().toString();
      long killed = KILLS.stream().filter(k -> k.startsWith(name + ":")).count();
      long recordedThenKilled =
          KILLS.stream()
              .filter(
                  k ->
                      k.startsWith(name + ":")
                          && (k.contains("(ops.job_runs)") || NO_RUN.contains(k)))
              .count();
      assertEquals(
          killed - recordedThenKilled,
          l.read(JobRunLog.JOB_RUNS).where("status = 'INTERRUPTED'").count(),
          name + ": " + String.join("\n", KILLS));
    }

    // Secrets: in no output of any child, nor in the audit log.
    for (Path f : Files.list(LOGS).toList()) {
      String text = Files.readString(f);
      assertFalse(text.contains(SECRET) || text.contains(S3_SECRET), f + " holds a secret");
    }
    for (Lake l : List.of(fresh, rerun)) {
      Column json = functions.to_json(functions.struct(functions.col("*")));
      assertEquals(
          0L,
          l.read(JobRunLog.JOB_RUNS)
              .where(json.contains(SECRET).or(json.contains(S3_SECRET)))
              .count());
    }
    System.out.println(
        "crash drill: " + kills + " kills survived, " + CHILDREN.get() + " child runs");
    Files.writeString(
        projectDir().resolve("jobs/target/crash-kills.log"),
        "kills " + kills + ", child runs " + CHILDREN.get() + ", rows lost 0, rows duplicated 0\n",
        java.nio.file.StandardOpenOption.APPEND);
  }

  static void copy(Path from, Path to) throws Exception {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : all.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else if (!p.getFileName().toString().endsWith(".lock")) {
          Files.copy(p, target);
        }
      }
    }
  }

  /** The Spark UI of a live child shows the secret setting redacted. */
  static void assertUiRedacts(int uiPort) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String apps =
        http.send(
                HttpRequest.newBuilder(
                        URI.create("http://localhost:" + uiPort + "/api/v1/applications"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    String id = apps.replaceAll("(?s).*?\"id\"\\s*:\\s*\"([^\"]+)\".*", "$1");
    String env =
        http.send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://localhost:"
                                + uiPort
                                + "/api/v1/applications/"
                                + id
                                + "/environment"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertTrue(env.contains("spark.hadoop.fs.s3a.secret.key"), env);
    assertFalse(env.contains(S3_SECRET), "the UI shows the secret");
  }
}
