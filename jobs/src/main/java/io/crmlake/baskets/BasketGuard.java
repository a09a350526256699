package io.crmlake.baskets;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_sort;
import static org.apache.spark.sql.functions.array_union;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.size;

import io.crmlake.baskets.WorkProjection.Basis;
import io.crmlake.baskets.WorkProjection.Projection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * The guard on FP-Growth's search ({@link #prepare}): prunes each basket to its frequent items
 * (exact: no frequent itemset holds an infrequent item) and caps the largest baskets only when the
 * search would explode: when its projected work ({@link WorkProjection}) exceeds {@code
 * baskets.search-budget}, or a basket has more than {@code baskets.max-basket-size} frequent items.
 * The cap keeps a basket's most frequent items (ties by item) and is the largest power of two (or
 * max-basket-size) whose projected work is within the budget. {@link #impact} then counts the mined
 * itemsets and rules the cap may have changed. Free of I/O; only aggregates reach the driver.
 */
public final class BasketGuard {
  /** Caps are powers of two, 2^4 = 16 at the smallest. */
  private static final int SMALLEST_CAP_EXPONENT = 4;

  private BasketGuard() {}

  /**
   * Baskets ready for {@link BasketMiner#mine}, with the guard's report. {@code baskets} has the
   * columns of {@link BasketMiner#baskets}, each basket's items pruned to the frequent ones (and
   * capped when the report says so), sorted, and {@code size} their number; every basket is kept,
   * also an empty one, so that FP-Growth's basket count and minimum count are unchanged. {@code
   * removedItems} (item, baskets) lists the items the cap removed from at least one basket, with
   * from how many; empty when nothing was capped.
   */
  public record Prepared(Dataset<Row> baskets, Dataset<Row> removedItems, GuardReport report) {}

  /** The cap chosen: 0 for none; the projections without and with it; whether within budget. */
  record Cap(int size, Projection uncapped, Projection chosen, boolean withinBudget) {}

  /**
   * Prunes and, when needed, caps the baskets (see the class comment). Three aggregations reach the
   * driver: the frequent items, the histogram of frequent items per basket, and the item counts per
   * size class.
   *
   * @param minCount FP-Growth's minimum count, {@code s.minCount(baskets.count())}
   */
  public static Prepared prepare(Dataset<Row> baskets, BasketsSettings s, long minCount) {
    Map<String, Long> frequent = frequentItems(baskets, minCount);
    Dataset<Row> ordered = withFrequentItemsByCount(baskets, frequent);
    TreeMap<Integer, Long> sizes = sizes(ordered);
    int jmin = smallestCapExponent(s.maxItemsetLength());
    Basis basis =
        new Basis(
            sizes,
            WorkProjection.classCounts(ordered, jmin, s.maxBasketSize()),
            byCount(frequent),
            s.maxBasketSize());
    Cap cap = chooseCap(basis, jmin, minCount, s.searchBudget());
    return new Prepared(
        capped(ordered, cap.size()),
        removedItems(ordered, cap.size()),
        report(basis, minCount, s.searchBudget(), cap));
  }

  /** Items of at least {@code minCount} baskets, with their basket counts (collected). */
  static Map<String, Long> frequentItems(Dataset<Row> baskets, long minCount) {
    Map<String, Long> frequent = new HashMap<>();
    for (Row r :
        baskets
            .select(explode(col("items")).as("item"))
            .groupBy("item")
            .agg(count(lit(1)).as("n"))
            .where(col("n").geq(minCount))
            .collectAsList()) {
      frequent.put(r.getString(0), r.getLong(1));
    }
    return frequent;
  }

  /**
   * Adds {@code _ordered}, a basket's frequent items most frequent first (ties by item), and {@code
   * _f}, their number.
   */
  static Dataset<Row> withFrequentItemsByCount(Dataset<Row> baskets, Map<String, Long> frequent) {
    UserDefinedFunction byCount =
        functions.udf(
            (UDF1<scala.collection.Seq<String>, String[]>) items -> orderByCount(items, frequent),
            DataTypes.createArrayType(DataTypes.StringType));
    return baskets
        .withColumn("_ordered", byCount.apply(col("items")))
        .withColumn("_f", size(col("_ordered")));
  }

  /** A basket's frequent items, most frequent first (ties by item). */
  static String[] orderByCount(scala.collection.Seq<String> items, Map<String, Long> frequent) {
    List<String> out = new ArrayList<>();
    if (items != null) {
      scala.collection.Iterator<String> it = items.iterator();
      while (it.hasNext()) {
        String i = it.next();
        if (i != null && frequent.containsKey(i)) {
          out.add(i);
        }
      }
    }
    out.sort(Comparator.comparing((String i) -> -frequent.get(i)).thenComparing(i -> i));
    return out.toArray(new String[0]);
  }

  /** Frequent items per basket → baskets (collected: one row per distinct size). */
  static TreeMap<Integer, Long> sizes(Dataset<Row> ordered) {
    TreeMap<Integer, Long> hist = new TreeMap<>();
    for (Row r : ordered.groupBy("_f").agg(count(lit(1))).collectAsList()) {
      hist.put(r.getInt(0), r.getLong(1));
    }
    return hist;
  }

  /** The smallest cap tried is 2^jmin: 16, or a power of two at least max-itemset-length. */
  static int smallestCapExponent(int maxItemsetLength) {
    return Math.max(
        SMALLEST_CAP_EXPONENT,
        32 - Integer.numberOfLeadingZeros(Math.max(1, maxItemsetLength - 1)));
  }

  /** The frequent items, most frequent first (ties by item). */
  private static List<String> byCount(Map<String, Long> frequent) {
    List<String> items = new ArrayList<>(frequent.keySet());
    items.sort(Comparator.comparing((String i) -> -frequent.get(i)).thenComparing(i -> i));
    return items;
  }

  /**
   * No cap (max-basket-size only, when a basket exceeds it) when its projected work is within the
   * budget; otherwise the largest cap 2^j below the largest basket whose work is, or the smallest
   * tried (2^jmin) when none is.
   */
  static Cap chooseCap(Basis b, int jmin, long minCount, double budget) {
    int maxF = b.sizes().isEmpty() ? 0 : b.sizes().lastKey();
    int maxSizeCap = maxF > b.maxSize() ? b.maxSize() : 0;
    Projection none = WorkProjection.project(b, -1, minCount, budget);
    if (none.work() <= budget) {
      return new Cap(maxSizeCap, none, none, true);
    }
    int top = Math.min(maxF, b.maxSize());
    Cap last = new Cap(maxSizeCap, none, none, false);
    for (int j = 30; j >= jmin; j--) {
      if ((1L << j) >= top) {
        continue;
      }
      Projection p = WorkProjection.project(b, j, minCount, budget);
      last = new Cap(1 << j, none, p, p.work() <= budget);
      if (last.withinBudget()) {
        break;
      }
    }
    return last;
  }

  /** Each basket's first {@code cap} frequent items (all when 0), sorted: what FP-Growth mines. */
  static Dataset<Row> capped(Dataset<Row> ordered, int cap) {
    Column kept = cap > 0 ? functions.slice(col("_ordered"), 1, cap) : col("_ordered");
    return ordered
        .withColumn("items", array_sort(kept))
        .withColumn("size", size(col("items")))
        .select("order_id", "customer_id", "order_date", "items", "size");
  }

  /** The items the cap removed (item, baskets); empty when {@code cap} is 0. */
  static Dataset<Row> removedItems(Dataset<Row> ordered, int cap) {
    return ordered
        .where(col("_f").gt(cap > 0 ? cap : Integer.MAX_VALUE))
        .select(posexplode(col("_ordered")).as(new String[] {"_pos", "item"}))
        .where(col("_pos").geq(cap))
        .groupBy("item")
        .agg(count(lit(1)).as("baskets"));
  }

  private static GuardReport report(Basis b, long minCount, double budget, Cap cap) {
    TreeMap<Integer, Long> sizes = b.sizes();
    long n = sizes.values().stream().mapToLong(Long::longValue).sum();
    long cappedBaskets = 0;
    long removed = 0;
    if (cap.size() > 0) {
      for (Map.Entry<Integer, Long> e : sizes.tailMap(cap.size(), false).entrySet()) {
        cappedBaskets += e.getValue();
        removed += e.getValue() * (e.getKey() - cap.size());
      }
    }
    return new GuardReport(
        n,
        minCount,
        b.items().size(),
        sizes.isEmpty() ? 0 : sizes.lastKey(),
        percentile(sizes, n, 0.5),
        percentile(sizes, n, 0.9),
        percentile(sizes, n, 0.99),
        longestPossible(sizes, minCount),
        cap.uncapped().work(),
        cap.uncapped().itemsets(),
        budget,
        b.maxSize(),
        cap.size(),
        cappedBaskets,
        removed,
        cap.chosen().work(),
        cap.withinBudget());
  }

  private static int percentile(TreeMap<Integer, Long> sizes, long n, double q) {
    long rank = (long) Math.ceil(q * n);
    long seen = 0;
    for (Map.Entry<Integer, Long> e : sizes.entrySet()) {
      seen += e.getValue();
      if (seen >= rank) {
        return e.getKey();
      }
    }
    return 0;
  }

  /** The largest k such that at least {@code minCount} baskets have k frequent items or more. */
  private static int longestPossible(TreeMap<Integer, Long> sizes, long minCount) {
    long atLeast = 0;
    for (Map.Entry<Integer, Long> e : sizes.descendingMap().entrySet()) {
      atLeast += e.getValue();
      if (atLeast >= minCount) {
        return e.getKey();
      }
    }
    return 0;
  }

  /** Itemsets and rules of a capped run that hold a removed item; see {@link #impact}. */
  public record Impact(long itemsets, long rules) {}

  /**
   * How many of the mined itemsets and rules may differ from an exact count because of the cap:
   * those holding an item the cap removed from some basket (only their counts can be too low). An
   * itemset that is frequent but was not found also holds such an item. Zero when nothing was
   * capped.
   */
  public static Impact impact(Dataset<Row> itemsets, Dataset<Row> rules, Prepared p) {
    if (p.report().exact()) {
      return new Impact(0, 0);
    }
    Dataset<Row> removed = p.removedItems().select("item");
    long i =
        itemsets
            .select(col("items"), explode(col("items")).as("item"))
            .join(removed, "item")
            .select("items")
            .distinct()
            .count();
    long r =
        rules
            .select(
                col("rule_id"),
                explode(array_union(col("antecedent"), array(col("consequent")))).as("item"))
            .join(removed, "item")
            .select("rule_id")
            .distinct()
            .count();
    return new Impact(i, r);
  }
}
