package io.crmlake.publish;

import static io.crmlake.publish.PublishFixture.D1;
import static io.crmlake.publish.PublishFixture.D2;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.baskets.BasketsTables;
import io.crmlake.churn.ChurnTables;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.testing.Jobs;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publish on the hand-made inputs of {@link PublishFixture}, into a real PostgreSQL server (the
 * embedded one, on a free port): the MERGE semantics of gold.customer_scores (counts from Delta's
 * own metrics against the fixture's changes), the history snapshots, the migrations and the action
 * lists worked out by hand from the fixture's table; the served tables equal the Delta tables row
 * for row; a reader querying in a loop during a publish never sees an error, an empty table or two
 * versions at once; a load that fails on a bad row leaves the served tables as they were; and the
 * password never reaches a log line, the run log or a message.
 */
class PublishJobTest extends SparkTestBase {
  private static final String SECRET = "pw-7f3c1d-never-print-me";
  private static final Map<String, String> ENV = Map.of("CRMLAKE_TEST_DB_PASSWORD", SECRET);
  @TempDir static Path server;
  private static int port;
  @TempDir Path dir;

  @BeforeAll
  static void freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
  }

  @AfterAll
  static void stopServer() {
    EmbeddedServer.stop(server.resolve("pg"));
  }

  /** A lake in this test's folder, publishing to the class's embedded PostgreSQL server. */
  private CrmlakeConfig config(String... sets) {
    List<String> all = new ArrayList<>();
    all.add("publish.serving.embedded.port=" + port);
    all.add("publish.serving.embedded.data-dir=" + server.resolve("pg"));
    all.add("publish.serving.password-env=CRMLAKE_TEST_DB_PASSWORD");
    all.addAll(List.of(sets));
    return config(dir.resolve("lake"), all.toArray(new String[0]));
  }

  @Test
  void mergeHistoryListsAndTheServingDatabaseOverThreePublishesAndAFailedOne() throws Exception {
    StringWriter logs = new StringWriter();
    WriterAppender appender = capture(logs);
    CrmlakeConfig config = config();
    Lake lake = lake(config);
    try {
      lifecycle(lake, config);
    } finally {
      release(appender);
    }
    assertFalse(logs.toString().contains(SECRET), "the password appears in the logs");
    assertTrue(logs.toString().contains("serving database"), "the capture saw the publish logs");
    assertFalse(
        logs.toString().contains("No Partition Defined for Window operation"),
        "a window without a partition key moved rows to a single partition");
    for (Row r : lake.read(JobRunLog.JOB_RUNS).collectAsList()) {
      assertFalse(r.toString().contains(SECRET), "the password appears in ops.job_runs");
    }
  }

  private void lifecycle(Lake lake, CrmlakeConfig config) throws Exception {
    PublishFixture.write(spark, lake, D1);
    PublishResult first = Jobs.publish(lake, config, ENV);
    assertEquals(4, first.customers());
    assertEquals(List.of(4L, 0L, 0L, 0L), merge(first), "first publish inserts everyone");
    assertEquals(0, first.migrations(), "no earlier snapshot");
    listsAsOfD1(lake, first);
    assertServedEqualsLake(lake);
    assertTrue(first.serving().orElseThrow().rows() > 0);
    String url = EmbeddedServer.status(server.resolve("pg")).orElseThrow().jdbcUrl();

    // Second as-of: b changed (churn 0.20 -> 0.65), d left, e is new, a and c are unchanged. A
    // reader queries the served tables in a loop meanwhile.
    PublishFixture.write(spark, lake, D2);
    Reader reader = new Reader(url);
    reader.start();
    PublishResult second = Jobs.publish(lake, config, ENV);
    reader.finish();
    for (String seen : reader.seen) {
      assertTrue(
          seen.equals(D1 + " " + D1 + " 4") || seen.equals(D2 + " " + D2 + " 5"),
          "a reader saw a partial or mixed state: " + seen);
    }
    assertTrue(reader.seen.contains(D2 + " " + D2 + " 5"), "the reader saw the new version");
    assertServedEqualsLake(lake);
    assertEquals(List.of(1L, 1L, 1L, 2L), merge(second), "inserted, updated, flagged, unchanged");
    List<Row> rows =
        lake.read(PublishTables.CUSTOMER_SCORES).orderBy("customer_id").collectAsList();
    assertEquals(List.of("a", "b", "c", "d", "e"), ids(rows));
    Row d = rows.get(3);
    assertFalse(d.<Boolean>getAs("in_scope"), "d left the scope: flagged, not deleted");
    assertEquals(Date.valueOf(D2), d.getAs("as_of_date"));
    assertTrue(d.<String>getAs("run_id").startsWith("publish-"));
    Row a = rows.get(0);
    assertTrue(a.<Boolean>getAs("in_scope"));
    assertEquals(Date.valueOf(D1), a.getAs("as_of_date"), "a did not change: its row stays");
    Row b = rows.get(1);
    assertEquals(0.65, b.<Double>getAs("churn_probability"), 1e-12);
    assertEquals(Date.valueOf(D2), b.getAs("as_of_date"));
    assertEquals(b.<String>getAs("run_id"), d.<String>getAs("run_id"));

    // Migrations D1 -> D2: d leaves (value class, tier), e arrives (value class, tier, band),
    // b's band goes low -> high; d had no band before and has none now.
    Set<String> moves =
        lake
            .read(PublishTables.SEGMENT_MIGRATION)
            .where(col("as_of_date").equalTo(Date.valueOf(D2)))
            .collectAsList()
            .stream()
            .map(
                r ->
                    r.getAs("dimension")
                        + " "
                        + r.getAs("customer_id")
                        + " "
                        + r.getAs("from_segment")
                        + " -> "
                        + r.getAs("to_segment"))
            .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(
        new TreeSet<>(
            List.of(
                "pyramid_tier d Lead -> null",
                "pyramid_tier e null -> Gold",
                "risk_band b low -> high",
                "risk_band e null -> low",
                "value_class d Important Retain -> null",
                "value_class e null -> General Develop")),
        moves);
    assertEquals(6, second.migrations());
    assertEquals(Date.valueOf(D1), Date.valueOf(second.previousAsOfDate().orElseThrow()));

    // Republishing D2 changes nothing and does not duplicate its snapshot.
    PublishResult again = Jobs.publish(lake, config, ENV);
    assertEquals(List.of(0L, 0L, 0L, 4L), merge(again));
    assertEquals(
        8, lake.read(PublishTables.CUSTOMER_SCORES_HISTORY).count(), "4 rows per as-of date");
    assertEquals(
        4,
        lake.read(PublishTables.CUSTOMER_SCORES_HISTORY)
            .where(col("as_of_date").equalTo(Date.valueOf(D2)))
            .count());
    assertEquals(5, lake.read(PublishTables.CUSTOMER_SCORES).count());

    // The run log holds Delta's merge counts.
    Row run =
        lake.read(JobRunLog.JOB_RUNS)
            .where(col("job").equalTo("publish"))
            .orderBy(col("started_at").desc())
            .first();
    Map<String, String> metrics = run.getJavaMap(run.fieldIndex("metrics"));
    assertEquals("4", metrics.get("merge_unchanged"));
    assertEquals("0", metrics.get("merge_inserted"));

    // A bad row (PostgreSQL text cannot hold NUL) fails the load; the served tables stay.
    List<String> before = rows(url, "SELECT customer_id, as_of_date FROM crm.customer_scores");
    List<PublishFixture.Customer> bad = new ArrayList<>(PublishFixture.customers(D2));
    bad.add(
        new PublishFixture.Customer(
            "bad\u0000id",
            "Lead",
            "General Retain",
            9,
            1,
            1.0,
            0.1,
            "low",
            "exploration",
            1,
            null,
            0));
    PublishFixture.write(spark, lake, D2.plusDays(1), bad);
    RuntimeException e =
        assertThrows(RuntimeException.class, () -> Jobs.publish(lake, config, ENV));
    assertTrue(e.getMessage().contains("served tables are unchanged"), e.getMessage());
    assertFalse(e.getMessage().contains(SECRET));
    assertEquals(before, rows(url, "SELECT customer_id, as_of_date FROM crm.customer_scores"));
    assertEquals(
        List.of(),
        rows(
            url,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'crm'"
                + " AND table_name LIKE '%staging'"),
        "no staging table is left behind");
  }

  /**
   * The lists as of D1 with the default thresholds, from the fixture's table. CLV threshold (top 20
   * % of 900, 300, 20, 5) is 900; spend threshold (top 20 % of 1200, 500, 150, 2000) is 2000.
   * Retention (churn ≥ 0.5 and Platinum/Gold or CLV ≥ 900): a only (c is Iron with CLV 20).
   * Win-back (churned or recency ≥ 180, and Platinum/Gold or spend ≥ 2000): d only (c is Iron,
   * 150). Cross- sell (recency under 180, not churned, recommendation score ≥ 1): a only (b scores
   * 0.5).
   */
  private void listsAsOfD1(Lake lake, PublishResult r) {
    assertEquals(List.of("a"), ids(lake.read(PublishTables.RETENTION_TARGETS).collectAsList()));
    Row ret = lake.read(PublishTables.RETENTION_TARGETS).first();
    assertEquals(0.70 * 900, ret.<Double>getAs("expected_value_lost"), 1e-9);
    assertTrue(ret.<String>getAs("reason").contains("Platinum tier"), ret.<String>getAs("reason"));
    assertEquals(List.of("d"), ids(lake.read(PublishTables.WINBACK_TARGETS).collectAsList()));
    assertTrue(
        lake.read(PublishTables.WINBACK_TARGETS)
            .first()
            .<String>getAs("reason")
            .contains("300 days"));
    assertEquals(List.of("a"), ids(lake.read(PublishTables.CROSS_SELL_TARGETS).collectAsList()));
    Row cross = lake.read(PublishTables.CROSS_SELL_TARGETS).first();
    assertEquals("X", cross.getAs("item"));
    assertTrue(
        cross.<String>getAs("reason").contains("bought product W"), cross.<String>getAs("reason"));
    assertEquals(1, r.retentionTargets());

    // Summary: the four tiers each hold one customer; revenue shares sum to 1.
    List<Row> tiers =
        lake.read(PublishTables.SEGMENT_SUMMARY)
            .where(col("dimension").equalTo("pyramid_tier"))
            .collectAsList();
    assertEquals(4, tiers.size());
    assertEquals(
        1.0, tiers.stream().mapToDouble(t -> t.<Double>getAs("revenue_share")).sum(), 1e-12);
    Row platinum =
        tiers.stream().filter(t -> t.getAs("segment").equals("Platinum")).findFirst().get();
    assertEquals(1200 / 3850.0, platinum.<Double>getAs("revenue_share"), 1e-12);
    assertEquals(0.70, platinum.<Double>getAs("mean_churn_probability"), 1e-12);
  }

  /**
   * Lower thresholds widen the lists (a and c for retention; a and b for cross-sell), ranked; the
   * tables are committed before the serving load, which fails on an unreachable server with a
   * message naming it and not the password.
   */
  @Test
  void thresholdsAreSettingsAndAnUnreachableServerFailsWithoutPrintingThePassword() {
    CrmlakeConfig wide =
        config(
            "publish.retention.tiers=[Platinum, Gold, Iron]",
            "publish.cross-sell.min-score=0.4",
            "publish.serving.url=jdbc:postgresql://127.0.0.1:1/crm?connectTimeout=2");
    Lake lake = lake(wide);
    PublishFixture.write(spark, lake, D1);
    RuntimeException e = assertThrows(RuntimeException.class, () -> Jobs.publish(lake, wide, ENV));
    assertTrue(e.getMessage().contains("127.0.0.1:1"), e.getMessage());
    assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    assertEquals(
        List.of("a", "c"),
        ids(lake.read(PublishTables.RETENTION_TARGETS).orderBy("rank").collectAsList()));
    assertEquals(
        List.of("a", "b"),
        ids(lake.read(PublishTables.CROSS_SELL_TARGETS).orderBy("rank").collectAsList()));
  }

  /**
   * The serving database goes away in the middle of a load: a PostgreSQL event trigger ends the
   * loading session the moment publish creates its first staging table. Publish fails with a
   * message naming the server (not the password); the served tables are still the previous
   * publish's, whole; the next publish serves the new snapshot.
   */
  @Test
  void theDatabaseGoingAwayMidLoadLeavesTheServedTablesAsTheyWere() throws Exception {
    CrmlakeConfig config = config();
    Lake lake = lake(config);
    PublishFixture.write(spark, lake, D1);
    Jobs.publish(lake, config, ENV);
    String url = EmbeddedServer.status(server.resolve("pg")).orElseThrow().jdbcUrl();
    String served = "SELECT customer_id, as_of_date FROM crm.customer_scores";
    List<String> before = rows(url, served);
    assertTrue(before.stream().anyMatch(r -> r.startsWith("d,")), before.toString());

    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE OR REPLACE FUNCTION public.drop_loader() RETURNS event_trigger AS $$ BEGIN IF"
              + " EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE object_identity LIKE"
              + " '%__staging') THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; END"
              + " $$ LANGUAGE plpgsql");
      st.execute(
          "CREATE EVENT TRIGGER drop_loader ON ddl_command_end EXECUTE FUNCTION"
              + " public.drop_loader()");
    }
    try {
      PublishFixture.write(spark, lake, D2);
      RuntimeException e =
          assertThrows(RuntimeException.class, () -> Jobs.publish(lake, config, ENV));
      String message = e.getMessage() + " " + (e.getCause() == null ? "" : e.getCause());
      assertTrue(message.contains("serving") || message.contains("postgresql"), message);
      assertFalse(message.contains(SECRET), message);
    } finally {
      try (Connection c = DriverManager.getConnection(url, "postgres", "");
          Statement st = c.createStatement()) {
        st.execute("DROP EVENT TRIGGER drop_loader");
      }
    }
    assertEquals(before, rows(url, served), "the served tables are the previous publish's");

    Jobs.publish(lake, config, ENV);
    List<String> after = rows(url, served);
    assertTrue(after.stream().anyMatch(r -> r.startsWith("e,")), after.toString());
    assertEquals(
        List.of(),
        rows(url, "SELECT tablename FROM pg_tables WHERE tablename LIKE '%__staging'"),
        "no staging table is left behind");
  }

  /**
   * Ranks come from a sort across partitions: by the order column descending, nulls last, ties by
   * customer id. Six customers in three partitions, values c1 3.0, c2 null, c3 5.0, c4 3.0, c5 5.0,
   * c6 1.0: c3 1, c5 2 (5.0, by id), c1 3, c4 4 (3.0), c6 5, c2 6 (null last).
   */
  @Test
  void ranksFollowTheOrderWithTiesByCustomerIdAndNullsLast() {
    org.apache.spark.sql.types.StructType schema =
        new org.apache.spark.sql.types.StructType()
            .add("customer_id", "string")
            .add("value", "double");
    List<Row> rows = new ArrayList<>();
    Object[][] values = {
      {"c1", 3.0}, {"c2", null}, {"c3", 5.0}, {"c4", 3.0}, {"c5", 5.0}, {"c6", 1.0}
    };
    for (Object[] v : values) {
      rows.add(org.apache.spark.sql.RowFactory.create(v));
    }
    List<Row> ranked =
        ActionLists.ranked(
                spark.createDataFrame(rows, schema).repartition(3), col("value").desc_nulls_last())
            .orderBy("rank")
            .collectAsList();
    assertEquals(List.of("c3", "c5", "c1", "c4", "c6", "c2"), ids(ranked));
    assertEquals(
        List.of(1, 2, 3, 4, 5, 6), ranked.stream().map(r -> r.<Integer>getAs("rank")).toList());
  }

  @Test
  void missingInputsFailNamingTheJobUnlessAllowed() {
    CrmlakeConfig config = config("publish.serving.enabled=false");
    Lake lake = lake(config);
    PublishFixture.write(spark, lake, D1);
    org.apache.hadoop.fs.Path churn =
        new org.apache.hadoop.fs.Path(lake.path(ChurnTables.CHURN_SCORES));
    try {
      churn.getFileSystem(spark.sparkContext().hadoopConfiguration()).delete(churn, true);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    Lake.MissingTableException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            Lake.MissingTableException.class, () -> Jobs.publish(lake, config, Map.of()));
    assertTrue(e.getMessage().contains("run `bin/crmlake churn` first"), e.getMessage());

    PublishResult r =
        Jobs.publish(
            lake, config("publish.allow-missing=true", "publish.serving.enabled=false"), Map.of());
    assertTrue(r.missingInputs().contains("gold.churn_scores"), r.missingInputs());
    assertEquals(
        0,
        lake.read(PublishTables.CUSTOMER_SCORES)
            .where(col("churn_probability").isNotNull())
            .count());
    assertEquals(
        4,
        lake.read(PublishTables.CUSTOMER_SCORES).where(col("clv").isNotNull()).count(),
        "the inputs that exist are published");
  }

  private static List<Long> merge(PublishResult r) {
    PublishResult.Merge m = r.merge().orElseThrow();
    return List.of(m.inserted(), m.updated(), m.flagged(), m.unchanged());
  }

  private static List<String> ids(List<Row> rows) {
    return rows.stream().map(r -> r.<String>getAs("customer_id")).toList();
  }

  /** Every served table against its Delta rows (the ones the load reads). */
  private static void assertServedEqualsLake(Lake lake) throws Exception {
    String url = EmbeddedServer.status(server.resolve("pg")).orElseThrow().jdbcUrl();
    List<String> pg =
        rows(
            url,
            "SELECT customer_id, in_scope, as_of_date, orders, net_spend, churn_probability,"
                + " array_to_string(churn_reasons, '|'), clv, rec_1_item, rec_1_reason, run_id,"
                + " extract(epoch FROM updated_at) * 1000 FROM crm.customer_scores");
    List<String> delta = new ArrayList<>();
    for (Row r :
        lake.read(PublishTables.CUSTOMER_SCORES)
            .selectExpr(
                "customer_id",
                "in_scope",
                "as_of_date",
                "orders",
                "net_spend",
                "churn_probability",
                "array_join(churn_reasons, '|')",
                "clv",
                "rec_1_item",
                "rec_1_reason",
                "run_id",
                "unix_millis(updated_at)")
            .collectAsList()) {
      List<String> cells = new ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        cells.add(r.isNullAt(i) ? "null" : norm(r.get(i)));
      }
      delta.add(String.join(",", cells));
    }
    delta.sort(null);
    assertEquals(delta, pg);
    for (var t :
        List.of(
            PublishTables.RETENTION_TARGETS,
            PublishTables.WINBACK_TARGETS,
            PublishTables.CROSS_SELL_TARGETS,
            BasketsTables.ASSOCIATION_RULES,
            BasketsTables.PRODUCT_RECOMMENDATIONS)) {
      assertEquals(
          List.of(String.valueOf(lake.read(t).count())),
          rows(url, "SELECT count(*) FROM crm." + t.name()),
          t.toString());
    }
  }

  /** A value as text the same way for both sides (numbers via double). */
  private static String norm(Object v) {
    if (v instanceof Number n) {
      double d = n.doubleValue();
      return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
    if (v instanceof Boolean b) {
      return b ? "t" : "f";
    }
    return String.valueOf(v);
  }

  /** The rows of a query as sorted comma-joined text. */
  private static List<String> rows(String url, String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> cells = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          Object v = rs.getObject(i);
          cells.add(
              v == null ? "null" : norm(v instanceof java.math.BigDecimal b ? b.doubleValue() : v));
        }
        out.add(String.join(",", cells));
      }
    }
    out.sort(null);
    return out;
  }

  private static WriterAppender capture(StringWriter w) {
    WriterAppender a =
        WriterAppender.newBuilder()
            .setName("capture")
            .setTarget(w)
            .setLayout(PatternLayout.newBuilder().withPattern("%c - %m%n").build())
            .build();
    a.start();
    Logger root = (Logger) LogManager.getRootLogger();
    root.addAppender(a);
    ((Logger) LogManager.getLogger("io.crmlake")).addAppender(a);
    return a;
  }

  private static void release(WriterAppender a) {
    ((Logger) LogManager.getRootLogger()).removeAppender(a);
    ((Logger) LogManager.getLogger("io.crmlake")).removeAppender(a);
    a.stop();
  }

  /** Queries the served tables in a loop: what it saw, and any error. */
  private static final class Reader extends Thread {
    final ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final String url;

    Reader(String url) {
      this.url = url;
    }

    @Override
    public void run() {
      try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
        while (!stop.get()) {
          try (Statement st = c.createStatement();
              ResultSet rs =
                  st.executeQuery(
                      "SELECT (SELECT max(as_of_date) FROM crm.customer_scores),"
                          + " (SELECT max(as_of_date) FROM crm.segment_summary),"
                          + " (SELECT count(*) FROM crm.customer_scores)")) {
            rs.next();
            seen.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getLong(3));
          }
          Thread.sleep(20);
        }
      } catch (Throwable t) {
        errors.add(t);
      }
    }

    /** Stops once the reader has completed a query begun after the publish returned. */
    void finish() throws InterruptedException {
      int before = seen.size();
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (seen.size() < before + 2 && errors.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      stop.set(true);
      join();
      assertTrue(errors.isEmpty(), () -> "reader failed: " + errors);
      assertFalse(seen.isEmpty());
    }
  }
}
