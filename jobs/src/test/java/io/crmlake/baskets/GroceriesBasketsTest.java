package io.crmlake.baskets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.ingest.IngestTables;
import io.crmlake.testing.GroceryLines;
import io.crmlake.testing.Jobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Groceries: the full itemset and rule tables at two support levels, with the shipped defaults
 * (guard included), equal an independent exact counter written here in plain Java (level-wise
 * candidates, each counted by scanning every basket), measure by measure.
 */
class GroceriesBasketsTest extends SparkTestBase {
  @TempDir Path dir;

  /** Baskets as the data set defines them: items trimmed, unique per basket. */
  static List<Set<String>> readBaskets(Path file) throws Exception {
    List<Set<String>> baskets = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (line.isBlank()) {
        continue;
      }
      Set<String> b = new TreeSet<>();
      for (String item : line.split(",")) {
        if (!item.trim().isEmpty()) {
          b.add(item.trim());
        }
      }
      baskets.add(b);
    }
    return baskets;
  }

  /** Every itemset with at least minCount baskets, by exact counting. */
  static Map<List<String>, Long> frequent(List<Set<String>> baskets, long minCount) {
    Map<List<String>, Long> out = new HashMap<>();
    Map<String, Long> single = new TreeMap<>();
    for (Set<String> b : baskets) {
      for (String i : b) {
        single.merge(i, 1L, Long::sum);
      }
    }
    List<List<String>> level = new ArrayList<>();
    for (Map.Entry<String, Long> e : single.entrySet()) {
      if (e.getValue() >= minCount) {
        level.add(List.of(e.getKey()));
        out.put(List.of(e.getKey()), e.getValue());
      }
    }
    while (!level.isEmpty()) {
      List<List<String>> next = new ArrayList<>();
      for (int x = 0; x < level.size(); x++) {
        for (int y = x + 1; y < level.size(); y++) {
          List<String> a = level.get(x);
          List<String> b = level.get(y);
          int k = a.size();
          if (!a.subList(0, k - 1).equals(b.subList(0, k - 1))) {
            continue;
          }
          List<String> cand = new ArrayList<>(a);
          cand.add(b.get(k - 1));
          cand.sort(null);
          long n = baskets.stream().filter(bs -> bs.containsAll(cand)).count();
          if (n >= minCount) {
            next.add(cand);
            out.put(cand, n);
          }
        }
      }
      next.sort((p, q) -> String.join("\u0001", p).compareTo(String.join("\u0001", q)));
      level = next;
    }
    return out;
  }

  /**
   * Rules with a single consequent: key "a,b->c", value {support, confidence, lift, leverage,
   * conviction, redundant}.
   */
  static Map<String, double[]> rules(Map<List<String>, Long> freq, double n, double minConf) {
    Map<String, double[]> out = new HashMap<>();
    Map<String, List<Object[]>> byConsequent = new HashMap<>();
    for (Map.Entry<List<String>, Long> e : freq.entrySet()) {
      List<String> set = e.getKey();
      if (set.size() < 2) {
        continue;
      }
      for (String c : set) {
        List<String> a = new ArrayList<>(set);
        a.remove(c);
        double conf = e.getValue() / (double) freq.get(a);
        if (conf < minConf) {
          continue;
        }
        double sa = freq.get(a) / n;
        double sc = freq.get(List.of(c)) / n;
        double s = e.getValue() / n;
        double conviction = conf == 1.0 ? Double.POSITIVE_INFINITY : (1 - sc) / (1 - conf);
        out.put(
            String.join(",", a) + "->" + c,
            new double[] {s, conf, conf / sc, s - sa * sc, conviction, 0});
        byConsequent.computeIfAbsent(c, k -> new ArrayList<>()).add(new Object[] {a, conf});
      }
    }
    for (Map.Entry<String, double[]> e : out.entrySet()) {
      String[] parts = e.getKey().split("->");
      List<String> a = List.of(parts[0].split(","));
      double conf = e.getValue()[1];
      for (Object[] other : byConsequent.get(parts[1])) {
        @SuppressWarnings("unchecked")
        List<String> b = (List<String>) other[0];
        if (b.size() < a.size() && a.containsAll(b) && (double) other[1] >= conf) {
          e.getValue()[5] = 1;
        }
      }
    }
    return out;
  }

  @Test
  void itemsetsAndRulesEqualAnIndependentCount() throws Exception {
    Path file = sharedData().resolve("groceries/groceries_baskets.csv");
    List<Set<String>> javaBaskets = readBaskets(file);
    assertEquals(9_835, javaBaskets.size());
    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    Jobs.ingest(lake, config, "conf/sources/groceries_baskets.conf");
    Dataset<Row> tx = lake.read(IngestTables.TRANSACTIONS);

    for (double[] thresholds : new double[][] {{0.02, 0.1}, {0.01, 0.2}}) {
      BasketsSettings s = BasketsSettings.of(thresholds[0], thresholds[1]);
      Dataset<Row> baskets = BasketMiner.baskets(tx, s).cache();
      long n = baskets.count();
      assertEquals(9_835L, n);
      long minCount = s.minCount(n);
      // The shipped guard leaves groceries exact: pruning to frequent items changes no result.
      BasketGuard.Prepared prepared = BasketGuard.prepare(baskets, s, minCount);
      assertTrue(prepared.report().exact(), prepared.report().describe());
      assertEquals(n, prepared.report().baskets());
      BasketMiner.Mined mined = BasketMiner.mine(prepared.baskets(), s, n);

      Map<List<String>, Long> expected = new HashMap<>();
      frequent(javaBaskets, minCount)
          .forEach(
              (k, v) -> {
                if (k.size() <= s.maxItemsetLength()) {
                  expected.put(k, v);
                }
              });
      Map<List<String>, Long> actual = new HashMap<>();
      for (Row r : mined.itemsets().collectAsList()) {
        List<String> items = r.getList(0);
        actual.put(items, r.getLong(2));
        assertEquals(r.getLong(2) / (double) n, r.getDouble(3), 1e-15);
      }
      assertEquals(expected, actual, "itemsets at support " + s.minSupport());

      Map<String, double[]> expectedRules = rules(expected, n, s.minConfidence());
      Map<String, double[]> actualRules = new HashMap<>();
      for (Row r : mined.rules().collectAsList()) {
        List<String> a = r.getList(r.fieldIndex("antecedent"));
        actualRules.put(
            String.join(",", a) + "->" + r.getAs("consequent"),
            new double[] {
              r.getAs("support"),
              r.getAs("confidence"),
              r.getAs("lift"),
              r.getAs("leverage"),
              r.getAs("conviction"),
              r.<Boolean>getAs("is_redundant") ? 1 : 0
            });
      }
      assertEquals(expectedRules.keySet(), actualRules.keySet(), "rules at " + s.minSupport());
      assertTrue(expectedRules.size() > 10, "a real rule set: " + expectedRules.size());
      for (String key : expectedRules.keySet()) {
        double[] e = expectedRules.get(key);
        double[] a = actualRules.get(key);
        for (int i = 0; i < e.length; i++) {
          assertEquals(e[i], a[i], 1e-12, key + " measure " + i);
        }
      }
      baskets.unpersist();
    }
  }

  @Test
  void groceryLinesMakeMemberDayBasketsWithDuplicatesMerged() throws Exception {
    List<GroceryLines.Line> rows =
        GroceryLines.read(sharedData().resolve("groceries/groceries_lines.csv"));
    long lines = rows.size();
    Set<String> baskets = new HashSet<>();
    Set<String> basketItems = new HashSet<>();
    for (GroceryLines.Line l : rows) {
      baskets.add(l.basket());
      basketItems.add(l.basket() + "#" + l.item());
    }
    assertTrue(basketItems.size() < lines, "the data repeats items within a basket");

    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    Jobs.ingest(lake, config, "conf/sources/groceries_lines.conf");
    Dataset<Row> b =
        BasketMiner.baskets(lake.read(IngestTables.TRANSACTIONS), BasketsSettings.of(0.01, 0.1));
    Row r = b.selectExpr("count(*)", "sum(size)", "count(DISTINCT customer_id)").first();
    assertEquals(14_963L, r.getLong(0));
    assertEquals(baskets.size(), r.getLong(0));
    assertEquals(basketItems.size(), r.getLong(1), "each item once per basket");
    assertEquals(3_898L, r.getLong(2));
  }
}
