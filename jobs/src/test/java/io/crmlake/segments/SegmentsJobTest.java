package io.crmlake.segments;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.testing.DatasetAssert;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.features.CustomerDays;
import io.crmlake.ingest.IngestTables;
import io.crmlake.testing.Jobs;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The segments job end to end on a lake with four planted behaviour groups of 60 customers: recent
 * big spenders who buy often, recent one- or two-time small buyers, lapsed regulars and long-lost
 * one-off buyers. KMeans must find K = 4 by silhouette and recover the groups (adjusted Rand index
 * computed here from the contingency table).
 */
class SegmentsJobTest extends SparkTestBase {
  static final LocalDate LAST = LocalDate.parse("2024-06-30");
  static final int PER_GROUP = 60;

  /** recency range, orders range, spend per order range. */
  static final int[][] GROUPS = {
    {1, 15, 12, 20, 80, 140},
    {1, 20, 1, 2, 10, 25},
    {250, 400, 6, 10, 60, 100},
    {300, 500, 1, 1, 10, 30},
  };

  static Map<String, Integer> plant(Lake lake) {
    Random rnd = new Random(11);
    List<Row> rows = new ArrayList<>();
    Map<String, Integer> group = new HashMap<>();
    for (int g = 0; g < GROUPS.length; g++) {
      int[] p = GROUPS[g];
      for (int i = 0; i < PER_GROUP; i++) {
        String cid = String.format("G%d-%03d", g, i);
        group.put(cid, g);
        int recency = between(rnd, p[0], p[1]);
        int orders = between(rnd, p[2], p[3]);
        for (int k = 0; k < orders; k++) {
          LocalDate d = LAST.plusDays(1).minusDays(recency + 10L * (orders - 1 - k));
          BigDecimal amount = BigDecimal.valueOf(between(rnd, p[4], p[5])).setScale(2);
          rows.add(RowFactory.create(cid, cid + "-" + k, Date.valueOf(d), "c", amount, false));
        }
      }
    }
    // The last transaction is on LAST, so the default as-of date is the day after.
    rows.add(
        RowFactory.create(
            "G1-000", "last", Date.valueOf(LAST), "c", new BigDecimal("1.00"), false));
    Dataset<Row> silver = spark.createDataFrame(rows, RfmTest.TX);
    lake.overwrite(IngestTables.TRANSACTIONS, silver);
    // As ingest maintains it.
    lake.overwrite(IngestTables.CUSTOMER_DAYS, CustomerDays.of(CustomerDays.lines(silver)));
    return group;
  }

  static int between(Random rnd, int lo, int hi) {
    return lo + rnd.nextInt(hi - lo + 1);
  }

  @Test
  void recoversPlantedGroupsAndReassignsWithTheSavedModel(@TempDir Path dir) {
    CrmlakeConfig config =
        config(
            dir,
            "segments.kmeans.k-min=2",
            "segments.kmeans.k-max=5",
            "segments.kmeans.seeds=1",
            "segments.rfm.quantile-error=0");
    Lake lake = lake(config);
    Map<String, Integer> planted = plant(lake);

    SegmentsResult r = Jobs.segments(lake, config);
    assertEquals(LocalDate.parse("2024-07-01"), r.asOfDate());
    assertEquals(4 * PER_GROUP, r.customers());
    assertEquals(4, r.k(), "silhouette per K: " + r.training().orElseThrow().silhouetteByK());

    Dataset<Row> segments = lake.read(SegmentsTables.CUSTOMER_SEGMENTS);
    List<Row> rows = segments.select("customer_id", "cluster_id").collectAsList();
    assertEquals(4 * PER_GROUP, rows.size());
    int[] truth = new int[rows.size()];
    int[] found = new int[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      truth[i] = planted.get(rows.get(i).getString(0));
      found[i] = rows.get(i).getInt(1);
    }
    double ari = adjustedRandIndex(truth, found);
    assertTrue(ari >= 0.8, "adjusted Rand index " + ari);

    // Every (K, seed) tried is recorded, one chosen; the model is saved under its version.
    Dataset<Row> selection = lake.read(SegmentsTables.CLUSTER_SELECTION);
    assertEquals(4, selection.count());
    assertEquals(1, selection.where(col("chosen")).count());
    String version = r.modelVersion();
    assertTrue(Files.isDirectory(dir.resolve(KMeansModels.DIR).resolve(version)), version);

    // Profiles: every dimension covers all customers and all revenue.
    for (Row p :
        lake.read(SegmentsTables.SEGMENT_PROFILES)
            .groupBy("dimension")
            .agg(
                org.apache.spark.sql.functions.sum("customers"),
                org.apache.spark.sql.functions.sum("revenue_share"))
            .collectAsList()) {
      assertEquals(4L * PER_GROUP, p.getLong(1), p.getString(0));
      assertEquals(1.0, p.getDouble(2), 1e-9, p.getString(0));
    }
    long dims = lake.read(SegmentsTables.SEGMENT_PROFILES).select("dimension").distinct().count();
    assertEquals(4, dims, "value_class, rfm_segment, pyramid_tier, cluster");

    assertTrue(r.refresh().train(), r.refresh().describe());
    assertEquals("no committed model yet", r.refresh().reason());

    // The refresh policy (7 days by default) reuses the model, 0 days old: every customer keeps
    // their cluster.
    Dataset<Row> before = segments.select("customer_id", "cluster_id", "cluster_label");
    before = spark.createDataFrame(before.collectAsList(), before.schema());
    SegmentsResult again = Jobs.segments(lake, config(dir));
    assertEquals(version, again.modelVersion());
    assertTrue(again.training().isEmpty(), "no training");
    assertFalse(again.refresh().train(), again.refresh().describe());
    assertEquals(Optional.of(version), again.refresh().model());
    assertEquals(Jobs.ageToday(version), again.refresh().ageDays());
    assertEquals("false", metrics(lake).get("refresh_train"));
    Dataset<Row> after = lake.read(SegmentsTables.CUSTOMER_SEGMENTS);
    assertEquals(4 * PER_GROUP, after.count(), "the as-of date's rows are replaced, not added");
    DatasetAssert.assertSameRows(
        before, after.select("customer_id", "cluster_id", "cluster_label"));
    assertEquals(
        4, lake.read(SegmentsTables.CLUSTER_SELECTION).count(), "no training, no new trials");

    // Another as-of date adds its own rows and leaves the first date's as they were.
    Jobs.segments(lake, config(dir, "segments.as-of=2024-01-01"));
    assertEquals(
        4 * PER_GROUP,
        lake.read(SegmentsTables.CUSTOMER_SEGMENTS).where("as_of_date = '2024-07-01'").count());
    assertTrue(
        lake.read(SegmentsTables.CUSTOMER_SEGMENTS).where("as_of_date = '2024-01-01'").count() > 0);
  }

  /**
   * The refresh policy: retrain-now trains; so does a model as old as retrain-after-days (0: any
   * model) and one that clusters on other features; a pinned model of other features is an error
   * naming the setting, and with its own features it is reused.
   */
  @Test
  void theRefreshPolicyTrainsWhenDueForcedOrOnOtherFeatures(@TempDir Path dir) {
    String[] small = {"segments.kmeans.k-max=3", "segments.kmeans.seeds=1"};
    Lake lake = lake(config(dir, small));
    plant(lake);
    SegmentsResult first = Jobs.segments(lake, config(dir, small));
    SegmentsResult forced =
        Jobs.segments(lake, config(dir, with(small, "segments.kmeans.retrain-now=true")));
    assertTrue(forced.refresh().train());
    assertEquals("segments.kmeans.retrain-now is set", forced.refresh().reason());
    assertNotEquals(first.modelVersion(), forced.modelVersion());

    SegmentsResult due =
        Jobs.segments(lake, config(dir, with(small, "segments.kmeans.retrain-after-days=0")));
    assertTrue(due.refresh().train());
    assertTrue(
        due.refresh().reason().contains("is " + Jobs.ageToday(forced.modelVersion()) + " days old"),
        due.refresh().reason());
    assertEquals(Optional.of(forced.modelVersion()), due.refresh().model(), "the newest before");
    assertEquals("true", metrics(lake).get("refresh_train"));
    assertEquals(due.refresh().reason(), metrics(lake).get("refresh_reason"));

    String other = "segments.kmeans.features=[recency_days,frequency,purchase_days]";
    SegmentsResult changed = Jobs.segments(lake, config(dir, with(small, other)));
    assertTrue(changed.refresh().train());
    assertTrue(
        changed.refresh().reason().contains("segments.kmeans.features is now"),
        changed.refresh().reason());

    String pin = "segments.kmeans.model-version=" + due.modelVersion();
    ConfigError pinned =
        assertThrows(
            ConfigError.class, () -> Jobs.segments(lake, config(dir, with(small, other, pin))));
    assertTrue(pinned.getMessage().contains("segments.kmeans.model-version"), pinned.getMessage());
    SegmentsResult reused = Jobs.segments(lake, config(dir, with(small, pin)));
    assertFalse(reused.refresh().train());
    assertEquals(due.modelVersion(), reused.modelVersion());
    assertEquals("false", metrics(lake).get("refresh_train"));
    assertEquals(due.modelVersion(), metrics(lake).get("refresh_model"));
  }

  static String[] with(String[] base, String... more) {
    return java.util.stream.Stream.concat(Arrays.stream(base), Arrays.stream(more))
        .toArray(String[]::new);
  }

  /** The metrics the newest segments run recorded in ops.job_runs. */
  static Map<String, String> metrics(Lake lake) {
    Row run =
        lake.read(JobRunLog.JOB_RUNS)
            .where("job = 'segments' AND status = 'SUCCEEDED'")
            .orderBy(col("started_at").desc())
            .first();
    return scala.jdk.javaapi.CollectionConverters.asJava(
        run.<String, String>getMap(run.fieldIndex("metrics")));
  }

  /** Hubert and Arabie's adjusted Rand index from the contingency table. */
  static double adjustedRandIndex(int[] a, int[] b) {
    Map<Integer, Map<Integer, Integer>> table = new HashMap<>();
    Map<Integer, Integer> rowsA = new HashMap<>();
    Map<Integer, Integer> colsB = new HashMap<>();
    for (int i = 0; i < a.length; i++) {
      table.computeIfAbsent(a[i], k -> new HashMap<>()).merge(b[i], 1, Integer::sum);
      rowsA.merge(a[i], 1, Integer::sum);
      colsB.merge(b[i], 1, Integer::sum);
    }
    double index = 0;
    for (Map<Integer, Integer> row : table.values()) {
      for (int n : row.values()) {
        index += pairs(n);
      }
    }
    double sumA = rowsA.values().stream().mapToDouble(SegmentsJobTest::pairs).sum();
    double sumB = colsB.values().stream().mapToDouble(SegmentsJobTest::pairs).sum();
    double expected = sumA * sumB / pairs(a.length);
    return (index - expected) / ((sumA + sumB) / 2 - expected);
  }

  static double pairs(int n) {
    return n * (n - 1) / 2.0;
  }

  @Test
  void adjustedRandIndexOfKnownPartitions() {
    // Identical partitions (labels renamed): 1. A worked example: a = {0,0,0,1,1,1},
    // b = {0,0,1,1,2,2}: index 2, sums 6 and 3, expected 6*3/15 = 1.2, max 4.5 -> 0.8/3.3.
    assertEquals(1.0, adjustedRandIndex(new int[] {0, 0, 1, 1}, new int[] {5, 5, 7, 7}), 1e-12);
    assertEquals(
        0.8 / 3.3,
        adjustedRandIndex(new int[] {0, 0, 0, 1, 1, 1}, new int[] {0, 0, 1, 1, 2, 2}),
        1e-12);
  }
}
