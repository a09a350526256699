package io.crmlake.baskets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.spark.FatalErrors;
import io.crmlake.common.spark.SparkSessions;
import io.crmlake.common.testing.SparkTestBase;
import java.nio.file.Path;
import java.sql.Date;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Long baskets with the shipped defaults: FP-Growth survives FP-tree paths of hundreds of frequent
 * items (MLlib serialises them recursively), the guard leaves the results exact unless the search
 * would explode, and when it caps, the report names every itemset that may differ. Each result is
 * checked against an independent exact count in plain Java (tid-list bitsets, level by level).
 */
class LongBasketsTest extends SparkTestBase {
  @TempDir Path dir;

  static final StructType BASKETS =
      new StructType()
          .add("order_id", DataTypes.StringType)
          .add("customer_id", DataTypes.StringType)
          .add("order_date", DataTypes.DateType)
          .add("items", DataTypes.createArrayType(DataTypes.StringType))
          .add("size", DataTypes.IntegerType);

  /** Four-item bundles planted in the regular baskets, so that there are itemsets of length 4. */
  static final int BUNDLES = 6;

  /**
   * {@code regular} baskets of 1 + geometric (mean about 9) items drawn uniformly from {@code
   * catalogue} items, a few with a planted bundle (items B0-0..B5-3); then {@code longs} baskets of
   * about {@code longSize} items drawn from the first {@code popular} items of the catalogue.
   */
  static List<List<String>> generate(
      long seed, int regular, int catalogue, int longs, int longSize, int popular) {
    Random r = new Random(seed);
    List<List<String>> out = new ArrayList<>();
    for (int b = 0; b < regular; b++) {
      TreeSet<String> s = new TreeSet<>();
      int size = 1;
      while (r.nextDouble() > 0.11 && size < 60) {
        size++;
      }
      while (s.size() < size) {
        s.add(item(r.nextInt(catalogue)));
      }
      if (r.nextDouble() < 0.12) {
        int bundle = r.nextInt(BUNDLES);
        for (int k = 0; k < 4; k++) {
          if (r.nextDouble() < 0.9) {
            s.add("B" + bundle + "-" + k);
          }
        }
      }
      out.add(new ArrayList<>(s));
    }
    for (int b = 0; b < longs; b++) {
      TreeSet<String> s = new TreeSet<>();
      int size = Math.min(popular, longSize - longSize / 20 + r.nextInt(longSize / 10 + 1));
      while (s.size() < size) {
        s.add(item(r.nextInt(popular)));
      }
      out.add(new ArrayList<>(s));
    }
    return out;
  }

  static String item(int i) {
    return String.format("P%05d", i);
  }

  static Dataset<Row> frame(List<List<String>> baskets) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < baskets.size(); i++) {
      List<String> b = baskets.get(i);
      rows.add(
          RowFactory.create(
              "o" + i,
              "c" + (i % 997),
              Date.valueOf("2024-01-01"),
              b.toArray(new String[0]),
              b.size()));
    }
    return spark.createDataFrame(rows, BASKETS).repartition(2);
  }

  /**
   * Exact counts of every itemset of at most {@code maxLength} items in at least {@code minCount}
   * baskets: level-wise candidates (two frequent (k-1)-itemsets sharing their first k-2 items),
   * each counted by intersecting its items' basket bitsets.
   */
  static Map<List<String>, Long> exact(List<List<String>> baskets, long minCount, int maxLength) {
    Map<String, BitSet> tids = new HashMap<>();
    for (int b = 0; b < baskets.size(); b++) {
      for (String i : baskets.get(b)) {
        tids.computeIfAbsent(i, k -> new BitSet()).set(b);
      }
    }
    Map<List<String>, Long> out = new HashMap<>();
    List<List<String>> level = new ArrayList<>();
    List<BitSet> levelTids = new ArrayList<>();
    for (String i : new TreeSet<>(tids.keySet())) {
      BitSet t = tids.get(i);
      if (t.cardinality() >= minCount) {
        level.add(List.of(i));
        levelTids.add(t);
        out.put(List.of(i), (long) t.cardinality());
      }
    }
    for (int k = 2; k <= maxLength && !level.isEmpty(); k++) {
      List<List<String>> next = new ArrayList<>();
      List<BitSet> nextTids = new ArrayList<>();
      for (int x = 0; x < level.size(); x++) {
        List<String> a = level.get(x);
        for (int y = x + 1; y < level.size(); y++) {
          List<String> b = level.get(y);
          if (!a.subList(0, k - 2).equals(b.subList(0, k - 2))) {
            break; // the level is sorted: no later itemset shares a's prefix either
          }
          BitSet t = (BitSet) levelTids.get(x).clone();
          t.and(levelTids.get(y));
          int n = t.cardinality();
          if (n >= minCount) {
            List<String> cand = new ArrayList<>(a);
            cand.add(b.get(k - 2));
            next.add(List.copyOf(cand));
            nextTids.add(t);
            out.put(List.copyOf(cand), (long) n);
          }
        }
      }
      level = next;
      levelTids = nextTids;
    }
    return out;
  }

  static Map<List<String>, Long> mined(BasketMiner.Mined m) {
    Map<List<String>, Long> out = new HashMap<>();
    for (Row r : m.itemsets().collectAsList()) {
      out.put(List.copyOf(r.<String>getList(0)), r.getLong(2));
    }
    return out;
  }

  static Set<String> ruleKeys(BasketMiner.Mined m) {
    Set<String> out = new HashSet<>();
    for (Row r : m.rules().collectAsList()) {
      out.add(String.join(",", r.<String>getList(1)) + "->" + r.getString(2));
    }
    return out;
  }

  /** Each basket's {@code cap} items of highest count (ties by item), the guard's rule. */
  static List<List<String>> capped(List<List<String>> baskets, Map<String, Long> counts, int cap) {
    List<List<String>> out = new ArrayList<>();
    Comparator<String> byCount =
        Comparator.comparing((String i) -> -counts.get(i)).thenComparing(i -> i);
    for (List<String> b : baskets) {
      List<String> keep = new ArrayList<>(b);
      keep.sort(byCount);
      keep = new ArrayList<>(keep.subList(0, Math.min(cap, keep.size())));
      keep.sort(null);
      out.add(keep);
    }
    return out;
  }

  static Map<String, Long> counts(List<List<String>> baskets) {
    Map<String, Long> c = new HashMap<>();
    for (List<String> b : baskets) {
      for (String i : b) {
        c.merge(i, 1L, Long::sum);
      }
    }
    return c;
  }

  /**
   * Baskets of several hundred frequent items (deeper FP-tree paths than Java's default 1 MB thread
   * stack holds while MLlib serialises the tree) are mined exactly with the shipped defaults; with
   * a tiny search budget the guard caps them, and every itemset that then differs from the exact
   * count holds an item the cap removed, as the report says.
   */
  @Test
  void longBasketsAreMinedExactlyAndACapReportsWhatMayDiffer() {
    List<List<String>> baskets = generate(11, 5_000, 2_500, 60, 800, 1_200);
    BasketsSettings s = BasketsSettings.from(config(dir));
    Dataset<Row> frame = frame(baskets).cache();
    long n = frame.count();
    long minCount = s.minCount(n);

    BasketGuard.Prepared p = BasketGuard.prepare(frame, s, minCount);
    GuardReport g = p.report();
    assertTrue(g.exact(), g.describe());
    assertEquals(0L, g.cappedBaskets());
    assertEquals(n, g.baskets());
    // Deep paths: at 2.7 KB of stack per item, 1 MB overflows from about 380 items.
    assertTrue(g.maxItems() > 500, g.describe());
    Map<String, Long> all = counts(baskets);
    long frequentItems = all.values().stream().filter(c -> c >= minCount).count();
    assertEquals(frequentItems, g.frequentItems());
    for (Row r : p.baskets().collectAsList()) {
      List<String> items = r.getList(r.fieldIndex("items"));
      assertTrue(items.stream().allMatch(i -> all.get(i) >= minCount), "pruned to frequent");
      assertEquals(items.size(), r.getInt(r.fieldIndex("size")));
    }
    assertEquals(n, p.baskets().count(), "every basket is kept");

    BasketMiner.Mined m = BasketMiner.mine(p.baskets(), s, n);
    Map<List<String>, Long> expected = exact(baskets, minCount, s.maxItemsetLength());
    assertTrue(expected.keySet().stream().anyMatch(k -> k.size() == 4), "itemsets of length 4");
    assertEquals(expected, mined(m));
    Map<String, double[]> expectedRules =
        GroceriesBasketsTest.rules(expected, n, s.minConfidence());
    assertTrue(expectedRules.size() > 10, "a real rule set: " + expectedRules.size());
    assertEquals(expectedRules.keySet(), ruleKeys(m));
    assertEquals(new BasketGuard.Impact(0, 0), BasketGuard.impact(m.itemsets(), m.rules(), p));
    m.release();

    // The same baskets with a budget they exceed: the guard caps the long ones.
    BasketsSettings tight = BasketsSettings.from(config(dir, "baskets.search-budget=5e6"));
    BasketGuard.Prepared c = BasketGuard.prepare(frame, tight, minCount);
    GuardReport cg = c.report();
    assertFalse(cg.exact(), cg.describe());
    assertTrue(cg.projectedWork() > 5e6 && cg.projectedWorkAfterCap() <= 5e6, cg.describe());
    assertEquals(Integer.bitCount(cg.cap()), 1, "a power of two: " + cg.cap());
    List<List<String>> pruned = new ArrayList<>();
    for (List<String> b : baskets) {
      pruned.add(b.stream().filter(i -> all.get(i) >= minCount).toList());
    }
    long cappedBaskets = pruned.stream().filter(b -> b.size() > cg.cap()).count();
    long removedOccurrences =
        pruned.stream().mapToLong(b -> Math.max(0, b.size() - cg.cap())).sum();
    assertEquals(cappedBaskets, cg.cappedBaskets());
    assertEquals(removedOccurrences, cg.removedItemOccurrences());
    List<List<String>> javaCapped = capped(pruned, all, cg.cap());
    Map<String, Long> removed = new HashMap<>();
    for (int b = 0; b < pruned.size(); b++) {
      Set<String> kept = new HashSet<>(javaCapped.get(b));
      for (String i : pruned.get(b)) {
        if (!kept.contains(i)) {
          removed.merge(i, 1L, Long::sum);
        }
      }
    }
    Map<String, Long> sparkRemoved = new HashMap<>();
    for (Row r : c.removedItems().collectAsList()) {
      sparkRemoved.put(r.getString(0), r.getLong(1));
    }
    assertEquals(removed, sparkRemoved);

    BasketMiner.Mined cm = BasketMiner.mine(c.baskets(), tight, n);
    Map<List<String>, Long> cappedExpected = exact(javaCapped, minCount, s.maxItemsetLength());
    Map<List<String>, Long> cappedActual = mined(cm);
    assertEquals(cappedExpected, cappedActual, "FP-Growth on the capped baskets is exact");
    Set<List<String>> differ = new HashSet<>();
    for (Map.Entry<List<String>, Long> e : expected.entrySet()) {
      if (!e.getValue().equals(cappedActual.get(e.getKey()))) {
        differ.add(e.getKey());
      }
    }
    assertFalse(differ.isEmpty(), "the cap changes the result here");
    for (List<String> d : differ) {
      assertTrue(d.stream().anyMatch(removed::containsKey), d + " holds no removed item");
    }
    long atRisk =
        cappedActual.keySet().stream()
            .filter(k -> k.stream().anyMatch(removed::containsKey))
            .count();
    long changedButFound = differ.stream().filter(cappedActual::containsKey).count();
    BasketGuard.Impact impact = BasketGuard.impact(cm.itemsets(), cm.rules(), c);
    assertEquals(atRisk, impact.itemsets());
    assertTrue(impact.itemsets() >= changedButFound);
    long rulesAtRisk =
        ruleKeys(cm).stream()
            .filter(k -> List.of(k.split("->|,")).stream().anyMatch(removed::containsKey))
            .count();
    assertEquals(rulesAtRisk, impact.rules());
    cm.release();
    frame.unpersist();
  }

  /**
   * Huge baskets that share most of their items would make the search explode (every subset of the
   * shared items frequent): the default budget caps them, and FP-Growth on the capped baskets finds
   * exactly what an exact count of the capped baskets finds.
   */
  @Test
  void explodingBasketsAreCappedWithTheDefaults() {
    List<List<String>> baskets = generate(12, 5_000, 2_500, 60, 760, 820);
    BasketsSettings s = BasketsSettings.from(config(dir));
    Dataset<Row> frame = frame(baskets).cache();
    long n = frame.count();
    long minCount = s.minCount(n);
    BasketGuard.Prepared p = BasketGuard.prepare(frame, s, minCount);
    GuardReport g = p.report();
    assertFalse(g.exact(), g.describe());
    assertTrue(g.projectedWork() > s.searchBudget(), g.describe());
    assertTrue(g.withinBudget(), g.describe());
    assertTrue(g.projectedWorkAfterCap() <= s.searchBudget(), g.describe());
    assertTrue(g.longestPossibleItemset() > 500, g.describe());

    Map<String, Long> all = counts(baskets);
    List<List<String>> pruned = new ArrayList<>();
    for (List<String> b : baskets) {
      pruned.add(b.stream().filter(i -> all.get(i) >= minCount).toList());
    }
    assertEquals(pruned.stream().filter(b -> b.size() > g.cap()).count(), g.cappedBaskets());
    BasketMiner.Mined m = BasketMiner.mine(p.baskets(), s, n);
    assertEquals(
        exact(capped(pruned, all, g.cap()), minCount, s.maxItemsetLength()),
        mined(m),
        g.describe());
    m.release();
    frame.unpersist();
  }

  /** The size classes of the projection: 1, 2, 3-4, 5-8, ... */
  @Test
  void sizeClassesArePowersOfTwo() {
    int[][] cases = {
      {1, 0}, {2, 1}, {3, 2}, {4, 2}, {5, 3}, {8, 3}, {9, 4}, {1024, 10}, {1025, 11}
    };
    for (int[] c : cases) {
      assertEquals(c[1], WorkProjection.sizeClass(c[0]), "size " + c[0]);
    }
    // The same classes computed by Spark (BasketMiner's column expression).
    for (Row r :
        spark
            .range(1, 3000)
            .select(functions.col("id"), WorkProjection.sizeClass(functions.col("id").cast("int")))
            .collectAsList()) {
      assertEquals(WorkProjection.sizeClass((int) r.getLong(0)), r.getInt(1), "size " + r.get(0));
    }
  }

  static int deep(int n) {
    return n <= 0 ? 0 : 1 + deep(n - 1) + (n % 7 == 0 ? deep(0) : 0);
  }

  /**
   * With {@link FatalErrors#sparkConf} a StackOverflowError in a local task fails the job with an
   * exception the caller can log and record, instead of Spark's handler exiting the JVM with code
   * 50; the session stays usable.
   */
  @Test
  void aFatalErrorInALocalTaskFailsTheJobInsteadOfExiting() {
    List<String> sets = new ArrayList<>();
    FatalErrors.sparkConf("local[2]").forEach((k, v) -> sets.add("spark.conf.\"" + k + "\"=" + v));
    assertEquals(List.of("spark.conf.\"spark.executor.killOnFatalError.depth\"=0"), sets);
    assertTrue(FatalErrors.sparkConf("spark://127.0.0.1:7077").isEmpty());
    assertTrue(FatalErrors.sparkConf("local-cluster[2,1,1024]").isEmpty());
    spark.stop();
    spark = null;
    try {
      spark = SparkSessions.create(config(dir, sets.toArray(new String[0])), "test");
      assertEquals("0", spark.sparkContext().getConf().get(FatalErrors.KILL_DEPTH));
      spark
          .udf()
          .register(
              "deep", (UDF1<Long, Integer>) x -> deep(Integer.MAX_VALUE), DataTypes.IntegerType);
      SparkException e =
          assertThrows(
              SparkException.class,
              () ->
                  spark
                      .range(1)
                      .select(functions.callUDF("deep", functions.col("id")))
                      .collectAsList());
      Throwable t = e;
      while (t != null && !(t instanceof StackOverflowError)) {
        t = t.getCause();
      }
      assertNotNull(t, "the job's exception carries the StackOverflowError");
      assertEquals(3L, spark.range(3).count(), "the session survives");
    } finally {
      if (spark != null) {
        spark.stop();
      }
      spark = SparkSessions.create(config(dir), "test");
    }
  }
}
