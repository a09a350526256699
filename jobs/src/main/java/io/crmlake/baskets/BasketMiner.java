package io.crmlake.baskets;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_sort;
import static org.apache.spark.sql.functions.array_union;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.date_sub;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.ml.fpm.FPGrowth;
import org.apache.spark.ml.fpm.FPGrowthModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;

/**
 * The market-basket transformations, free of I/O so that tests call them directly: baskets from
 * order lines, capping of huge baskets, FP-Growth itemsets, rules with interest measures and a
 * redundancy flag, and next-product recommendations. Everything is a distributed Spark computation;
 * nothing is collected to the driver.
 *
 * <p>Interest measures of a rule A → C over N baskets, with n(X) the number of baskets holding
 * every item of X: support = n(A∪C)/N; confidence = n(A∪C)/n(A); lift = confidence / (n(C)/N);
 * leverage = support − (n(A)/N)(n(C)/N); conviction = (1 − n(C)/N) / (1 − confidence), infinite
 * when confidence is 1. A rule is redundant when a rule with the same consequent and an antecedent
 * that is a proper subset of its own has at least its confidence.
 */
public final class BasketMiner {
  private BasketMiner() {}

  /**
   * One basket per order: the distinct items of its sold lines (returns excluded), sorted. Columns
   * order_id, customer_id, order_date, items, size.
   */
  public static Dataset<Row> baskets(Dataset<Row> transactions, BasketsSettings s) {
    String item = s.level().column;
    Dataset<Row> lines =
        transactions.where(
            col("is_return")
                .equalTo(false)
                .and(col(item).isNotNull())
                .and(col("order_id").isNotNull()));
    if (s.windowStart().isPresent()) {
      lines = lines.where(col("order_date").geq(lit(java.sql.Date.valueOf(s.windowStart().get()))));
    }
    if (s.windowEnd().isPresent()) {
      lines = lines.where(col("order_date").leq(lit(java.sql.Date.valueOf(s.windowEnd().get()))));
    }
    return lines
        .groupBy("order_id")
        .agg(
            first("customer_id", true).as("customer_id"),
            min("order_date").as("order_date"),
            array_sort(collect_set(col(item))).as("items"))
        .withColumn("size", size(col("items")));
  }

  /**
   * What {@link #prepare} found and did, for the run's metrics. Frequent items are the items of at
   * least {@code minCount} baskets; "items per basket" below counts a basket's frequent items only.
   *
   * @param baskets all baskets (those left with no frequent item included)
   * @param minCount FP-Growth's minimum count
   * @param frequentItems distinct frequent items
   * @param maxItems the most frequent items of one basket
   * @param p50Items median of frequent items per basket (p90Items, p99Items: 90th, 99th percentile)
   * @param longestPossibleItemset no frequent itemset can be longer: the largest k such that at
   *     least minCount baskets have k frequent items or more
   * @param projectedWork FP-Growth's projected work without a cap (or with max-basket-size, when a
   *     basket exceeds it), in basket-item visits; at least this much when it exceeds the budget
   *     (the projection stops there)
   * @param projectedItemsets itemsets of any length projected to be frequent, counted up to where
   *     the projection stopped
   * @param cap 0 when no basket was capped (the results are exact); otherwise the most frequent
   *     items each basket kept
   * @param cappedBaskets baskets that lost items to the cap
   * @param removedItemOccurrences basket items the cap removed
   * @param projectedWorkAfterCap projected work with the cap applied (= projectedWork when none)
   * @param withinBudget false when even the smallest cap tried (16, or a power of two at least
   *     max-itemset-length) projects more work than the budget: mining may take very long
   */
  public record GuardReport(
      long baskets,
      long minCount,
      int frequentItems,
      int maxItems,
      int p50Items,
      int p90Items,
      int p99Items,
      int longestPossibleItemset,
      double projectedWork,
      long projectedItemsets,
      double searchBudget,
      int maxBasketSize,
      int cap,
      long cappedBaskets,
      long removedItemOccurrences,
      double projectedWorkAfterCap,
      long projectedItemsetsAfterCap,
      boolean withinBudget) {

    /** True when no basket was capped: FP-Growth will find exactly the frequent itemsets. */
    public boolean exact() {
      return cap == 0;
    }

    /** The report as run metrics (keys prefixed with {@code guard_}). */
    public Map<String, String> metrics() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("guard_frequent_items", String.valueOf(frequentItems));
      m.put("guard_items_per_basket_max", String.valueOf(maxItems));
      m.put("guard_items_per_basket_p50", String.valueOf(p50Items));
      m.put("guard_items_per_basket_p90", String.valueOf(p90Items));
      m.put("guard_items_per_basket_p99", String.valueOf(p99Items));
      m.put("guard_longest_possible_itemset", String.valueOf(longestPossibleItemset));
      m.put("guard_projected_work", String.format(Locale.ROOT, "%.4g", projectedWork));
      m.put("guard_projected_itemsets", String.valueOf(projectedItemsets));
      m.put("guard_search_budget", String.format(Locale.ROOT, "%.4g", searchBudget));
      m.put("guard_cap", String.valueOf(cap));
      m.put("capped_baskets", String.valueOf(cappedBaskets));
      m.put("guard_removed_item_occurrences", String.valueOf(removedItemOccurrences));
      m.put(
          "guard_projected_work_after_cap",
          String.format(Locale.ROOT, "%.4g", projectedWorkAfterCap));
      m.put("guard_within_budget", String.valueOf(withinBudget));
      return m;
    }

    /** One line for the log. */
    public String describe() {
      String dist =
          String.format(
              Locale.ROOT,
              "%d frequent items; frequent items per basket: median %d, p90 %d, p99 %d, max %d;"
                  + " no frequent itemset can be longer than %d; projected work %.3g"
                  + " (%d itemsets, budget %.3g)",
              frequentItems,
              p50Items,
              p90Items,
              p99Items,
              maxItems,
              longestPossibleItemset,
              projectedWork,
              projectedItemsets,
              searchBudget);
      if (exact()) {
        return dist + "; no basket capped: the results are exact";
      }
      return dist
          + String.format(
              Locale.ROOT,
              "; %d baskets capped to their %d most frequent items (%d basket items removed),"
                  + " projected work after the cap %.3g%s",
              cappedBaskets,
              cap,
              removedItemOccurrences,
              projectedWorkAfterCap,
              withinBudget ? "" : " (still above the budget: mining may take very long)");
    }
  }

  /**
   * Baskets ready for {@link #mine}, with the guard's report. {@code baskets} has the columns of
   * {@link #baskets}, each basket's items pruned to the frequent ones (and capped when the report
   * says so), sorted, and {@code size} their number; every basket is kept, also an empty one, so
   * that FP-Growth's basket count and minimum count are unchanged. {@code removedItems} (item,
   * baskets) lists the items the cap removed from at least one basket, with from how many; empty
   * when nothing was capped.
   */
  public record Prepared(Dataset<Row> baskets, Dataset<Row> removedItems, GuardReport report) {}

  /**
   * Prunes each basket to its frequent items (exact: no frequent itemset holds an infrequent item)
   * and caps the largest baskets only when FP-Growth's search would explode: when its projected
   * work exceeds {@code baskets.search-budget}, or a basket has more than {@code
   * baskets.max-basket-size} frequent items. The cap keeps a basket's most frequent items (ties by
   * item) and is the largest power of two (or max-basket-size) whose projected work is within the
   * budget.
   *
   * <p>Projected work: a model in which a basket of a given number of frequent items holds each
   * item independently, with the item's share among baskets of similar size (size classes 1, 2,
   * 3–4, 5–8, ..., each a power of two). Summed over the empty itemset and each itemset the model
   * projects to be frequent (all lengths, as MLlib mines them): the expected total size of the
   * baskets that hold it, which is what FP-Growth visits to project its conditional trees. It is
   * quadratic in basket size for long baskets (Σ size²) and grows like 2^k when k items are shared
   * by enough huge baskets. Spark computes aggregates only (item counts, a histogram of basket
   * sizes, item counts per size class); nothing per basket reaches the driver.
   *
   * @param minCount FP-Growth's minimum count, {@code s.minCount(baskets.count())}
   */
  public static Prepared prepare(Dataset<Row> baskets, BasketsSettings s, long minCount) {
    int maxSize = s.maxBasketSize();
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
    UserDefinedFunction byCount =
        functions.udf(
            (UDF1<scala.collection.Seq<String>, String[]>) items -> orderByCount(items, frequent),
            DataTypes.createArrayType(DataTypes.StringType));
    Dataset<Row> ordered =
        baskets
            .withColumn("_ordered", byCount.apply(col("items")))
            .withColumn("_f", size(col("_ordered")));

    TreeMap<Integer, Long> hist = new TreeMap<>();
    for (Row r : ordered.groupBy("_f").agg(count(lit(1))).collectAsList()) {
      hist.put(r.getInt(0), r.getLong(1));
    }
    long n = hist.values().stream().mapToLong(Long::longValue).sum();
    int maxF = hist.isEmpty() ? 0 : hist.lastKey();
    int jmin =
        Math.max(4, 32 - Integer.numberOfLeadingZeros(Math.max(1, s.maxItemsetLength() - 1)));

    // Item counts per size class: key -1 = no cap (max-basket-size applied), key j = cap 2^j
    // (only rows of the baskets the cap cuts, all in class j; the other classes are key -1's).
    String keys =
        String.format(
            Locale.ROOT,
            "filter(concat(array(-1), sequence(%d, 30)), k -> CASE WHEN k = -1 THEN _pos < %d"
                + " ELSE shiftleft(1, k) < least(_f, %d) AND _pos < shiftleft(1, k) END)",
            jmin,
            maxSize,
            maxSize);
    Map<Integer, Map<Integer, Map<String, Long>>> classCounts = new HashMap<>();
    for (Row r :
        ordered
            .where(col("_f").gt(0))
            .select(col("_f"), posexplode(col("_ordered")).as(new String[] {"_pos", "item"}))
            .withColumn("_k", explode(expr(keys)))
            .withColumn(
                "_class",
                when(col("_k").equalTo(-1), sizeClass(functions.least(col("_f"), lit(maxSize))))
                    .otherwise(col("_k")))
            .groupBy("_k", "_class", "item")
            .agg(count(lit(1)))
            .collectAsList()) {
      classCounts
          .computeIfAbsent(r.getInt(0), k -> new HashMap<>())
          .computeIfAbsent(r.getInt(1), k -> new HashMap<>())
          .put(r.getString(2), r.getLong(3));
    }

    List<String> items = new ArrayList<>(frequent.keySet());
    items.sort(Comparator.comparing((String i) -> -frequent.get(i)).thenComparing(i -> i));
    double budget = s.searchBudget();
    Projection none = project(model(hist, classCounts, items, maxSize, -1), minCount, budget);
    int cap = maxF > maxSize ? maxSize : 0;
    Projection chosen = none;
    boolean within = none.work() <= budget;
    if (!within) {
      int top = Math.min(maxF, maxSize);
      Projection last = null;
      int lastCap = 0;
      for (int j = 30; j >= jmin; j--) {
        if ((1L << j) >= top) {
          continue;
        }
        last = project(model(hist, classCounts, items, maxSize, j), minCount, budget);
        lastCap = 1 << j;
        if (last.work() <= budget) {
          within = true;
          break;
        }
      }
      if (last != null) {
        chosen = last;
        cap = lastCap;
      }
    }

    long capped = 0;
    long removed = 0;
    if (cap > 0) {
      for (Map.Entry<Integer, Long> e : hist.tailMap(cap, false).entrySet()) {
        capped += e.getValue();
        removed += e.getValue() * (e.getKey() - cap);
      }
    }
    Column kept = cap > 0 ? functions.slice(col("_ordered"), 1, cap) : col("_ordered");
    Dataset<Row> prepared =
        ordered
            .withColumn("items", array_sort(kept))
            .withColumn("size", size(col("items")))
            .select("order_id", "customer_id", "order_date", "items", "size");
    Dataset<Row> removedItems =
        ordered
            .where(col("_f").gt(cap > 0 ? cap : Integer.MAX_VALUE))
            .select(posexplode(col("_ordered")).as(new String[] {"_pos", "item"}))
            .where(col("_pos").geq(cap))
            .groupBy("item")
            .agg(count(lit(1)).as("baskets"));
    GuardReport report =
        new GuardReport(
            n,
            minCount,
            frequent.size(),
            maxF,
            percentile(hist, n, 0.5),
            percentile(hist, n, 0.9),
            percentile(hist, n, 0.99),
            longestPossible(hist, minCount),
            none.work(),
            none.itemsets(),
            budget,
            maxSize,
            cap,
            capped,
            removed,
            chosen.work(),
            chosen.itemsets(),
            within);
    return new Prepared(prepared, removedItems, report);
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

  /** The size class of a basket of g items: 0 for 1, else ceil(log2 g) (2, 3–4, 5–8, ...). */
  static int sizeClass(int g) {
    return g <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(g - 1);
  }

  static Column sizeClass(Column g) {
    return when(g.leq(1), lit(0)).otherwise(functions.length(functions.bin(g.minus(1))));
  }

  private static int percentile(TreeMap<Integer, Long> hist, long n, double q) {
    long rank = (long) Math.ceil(q * n);
    long seen = 0;
    for (Map.Entry<Integer, Long> e : hist.entrySet()) {
      seen += e.getValue();
      if (seen >= rank) {
        return e.getKey();
      }
    }
    return 0;
  }

  private static int longestPossible(TreeMap<Integer, Long> hist, long minCount) {
    long atLeast = 0;
    for (Map.Entry<Integer, Long> e : hist.descendingMap().entrySet()) {
      atLeast += e.getValue();
      if (atLeast >= minCount) {
        return e.getKey();
      }
    }
    return 0;
  }

  /** The projection model: per size class c, its basket count, mean size and each item's share. */
  record Model(double[] baskets, double[] meanSize, double[][] share) {}

  /**
   * The model of the baskets capped to 2^j items ({@code j = -1}: to {@code maxSize} only). The
   * capped baskets form a class of their own (the last), apart from the baskets of their new size.
   */
  static Model model(
      TreeMap<Integer, Long> hist,
      Map<Integer, Map<Integer, Map<String, Long>>> classCounts,
      List<String> items,
      int maxSize,
      int j) {
    int limit = j < 0 ? maxSize : 1 << j;
    int sizeClasses = sizeClass(Math.max(1, Math.min(limit, hist.isEmpty() ? 1 : hist.lastKey())));
    int classes = sizeClasses + 1 + (j < 0 ? 0 : 1);
    double[] n = new double[classes];
    double[] total = new double[classes];
    for (Map.Entry<Integer, Long> e : hist.entrySet()) {
      int f = e.getKey();
      if (f > 0) {
        int c = j >= 0 && f > limit ? classes - 1 : sizeClass(Math.min(f, limit));
        n[c] += e.getValue();
        total[c] += (double) e.getValue() * Math.min(f, limit);
      }
    }
    double[][] share = new double[items.size()][classes];
    Map<Integer, Map<String, Long>> base = classCounts.getOrDefault(-1, Map.of());
    for (int c = 0; c <= sizeClasses; c++) {
      add(share, items, base.getOrDefault(c, Map.of()), c);
    }
    if (j >= 0) {
      add(
          share,
          items,
          classCounts.getOrDefault(j, Map.of()).getOrDefault(j, Map.of()),
          classes - 1);
    }
    double[] mean = new double[classes];
    for (int c = 0; c < classes; c++) {
      mean[c] = n[c] == 0 ? 0 : total[c] / n[c];
      for (double[] row : share) {
        row[c] = n[c] == 0 ? 0 : row[c] / n[c];
      }
    }
    return new Model(n, mean, share);
  }

  private static void add(double[][] share, List<String> items, Map<String, Long> counts, int c) {
    for (int i = 0; i < items.size(); i++) {
      Long k = counts.get(items.get(i));
      if (k != null) {
        share[i][c] += k;
      }
    }
  }

  /** Projected work and frequent itemsets; the count stops once the work exceeds the budget. */
  record Projection(double work, long itemsets) {}

  /**
   * Walks the itemsets the model projects to be frequent, depth first (each extension keeps only
   * the items that extended its parent, as the projected support only falls with more items), and
   * adds each one's expected Σ size over the baskets holding it; stops above {@code budget}.
   */
  static Projection project(Model m, long minCount, double budget) {
    int classes = m.baskets().length;
    double work = 0;
    double[] all = new double[classes];
    for (int c = 0; c < classes; c++) {
      all[c] = m.baskets()[c];
      work += m.baskets()[c] * m.meanSize()[c];
    }
    int[] candidates = new int[m.share().length];
    for (int i = 0; i < candidates.length; i++) {
      candidates[i] = i;
    }
    double[] state = {work, 0};
    walk(m, all, candidates, minCount - 1e-6, budget, state);
    return new Projection(state[0], (long) state[1]);
  }

  private static boolean walk(
      Model m, double[] prefix, int[] candidates, double min, double budget, double[] state) {
    int classes = prefix.length;
    double[][] vectors = new double[candidates.length][];
    int[] kept = new int[candidates.length];
    int k = 0;
    for (int item : candidates) {
      double[] v = new double[classes];
      double support = 0;
      for (int c = 0; c < classes; c++) {
        v[c] = prefix[c] * m.share()[item][c];
        support += v[c];
      }
      if (support >= min) {
        vectors[k] = v;
        kept[k++] = item;
      }
    }
    for (int a = 0; a < k; a++) {
      double w = 0;
      for (int c = 0; c < classes; c++) {
        w += vectors[a][c] * m.meanSize()[c];
      }
      state[0] += w;
      state[1] += 1;
      if (state[0] > budget) {
        return false;
      }
      if (a + 1 < k
          && !walk(m, vectors[a], Arrays.copyOfRange(kept, a + 1, k), min, budget, state)) {
        return false;
      }
    }
    return true;
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

  /**
   * FP-Growth itemsets and rules (with all measures), for {@code basketCount} baskets. MLlib's
   * itemsets are cached (each use of an uncached model would re-run the mining); {@link #release}
   * frees them.
   */
  public record Mined(Dataset<Row> itemsets, Dataset<Row> rules, Dataset<Row> cached) {
    public void release() {
      cached.unpersist();
    }
  }

  public static Mined mine(Dataset<Row> baskets, BasketsSettings s, long basketCount) {
    FPGrowth fp =
        new FPGrowth()
            .setItemsCol("items")
            .setMinSupport(s.minSupport())
            .setMinConfidence(s.minConfidence());
    if (s.partitions() > 0) {
      fp.setNumPartitions(s.partitions());
    }
    FPGrowthModel model = fp.fit(baskets.select("items"));
    // associationRules() is derived from this same frame, so caching it serves both.
    Dataset<Row> freq = model.freqItemsets().persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> itemsets =
        freq.select(array_sort(col("items")).as("items"), col("freq").as("count"))
            .withColumn("size", size(col("items")))
            .where(col("size").leq(s.maxItemsetLength()))
            .withColumn("support", col("count").divide(lit((double) basketCount)))
            .select("items", "size", "count", "support");
    Dataset<Row> rules =
        rules(model.associationRules(), itemsets, basketCount, s.maxItemsetLength());
    return new Mined(itemsets, rules, freq);
  }

  /**
   * Rules with their measures, computed from itemset counts by distributed joins: MLlib's rules
   * give antecedent and consequent; the counts come from the itemset table.
   */
  static Dataset<Row> rules(
      Dataset<Row> mllibRules, Dataset<Row> itemsets, long basketCount, int maxLength) {
    double n = basketCount;
    Dataset<Row> r =
        mllibRules
            .select(
                array_sort(col("antecedent")).as("antecedent"),
                col("consequent").getItem(0).as("consequent"))
            .where(size(col("antecedent")).plus(1).leq(maxLength));
    Dataset<Row> counts = itemsets.select(col("items"), col("count"));
    Dataset<Row> joined =
        r.join(
                counts.withColumnRenamed("items", "antecedent").withColumnRenamed("count", "n_a"),
                "antecedent")
            .withColumn("_c", array(col("consequent")))
            .join(counts.withColumnRenamed("items", "_c").withColumnRenamed("count", "n_c"), "_c")
            .withColumn("_ac", array_sort(array_union(col("antecedent"), col("_c"))))
            .join(
                counts.withColumnRenamed("items", "_ac").withColumnRenamed("count", "n_ac"), "_ac");
    Column support = col("n_ac").divide(n);
    Column confidence = col("n_ac").divide(col("n_a").cast("double"));
    Column suppA = col("n_a").divide(n);
    Column suppC = col("n_c").divide(n);
    Dataset<Row> measured =
        joined
            .withColumn(
                "rule_id",
                sha2(concat_ws("|", concat_ws(",", col("antecedent")), col("consequent")), 256)
                    .substr(1, 16))
            .withColumn("antecedent_size", size(col("antecedent")))
            .withColumn("antecedent_support", suppA)
            .withColumn("consequent_support", suppC)
            .withColumn("support", support)
            .withColumn("confidence", confidence)
            .withColumn("lift", confidence.divide(suppC))
            .withColumn("leverage", support.minus(suppA.multiply(suppC)))
            .withColumn(
                "conviction",
                when(col("n_ac").equalTo(col("n_a")), lit(Double.POSITIVE_INFINITY))
                    .otherwise(lit(1.0).minus(suppC).divide(lit(1.0).minus(confidence))))
            .withColumn("count", col("n_ac"));
    return withRedundancy(measured)
        .select(
            "rule_id",
            "antecedent",
            "consequent",
            "antecedent_size",
            "count",
            "antecedent_support",
            "consequent_support",
            "support",
            "confidence",
            "lift",
            "leverage",
            "conviction",
            "is_redundant");
  }

  /**
   * Flags rules that a rule with a proper-subset antecedent and at least their confidence covers.
   */
  static Dataset<Row> withRedundancy(Dataset<Row> rules) {
    Dataset<Row> a = rules.select("rule_id", "antecedent", "consequent", "confidence").as("a");
    Dataset<Row> b =
        rules.select(
            col("antecedent").as("b_antecedent"),
            col("consequent").as("b_consequent"),
            col("confidence").as("b_confidence"));
    Dataset<Row> redundant =
        a.join(
                b,
                col("consequent")
                    .equalTo(col("b_consequent"))
                    .and(size(col("b_antecedent")).lt(size(col("antecedent"))))
                    .and(
                        size(functions.array_except(col("b_antecedent"), col("antecedent")))
                            .equalTo(0))
                    .and(col("b_confidence").geq(col("confidence"))))
            .select(col("rule_id"))
            .distinct()
            .withColumn("is_redundant", lit(true));
    return rules
        .join(redundant, "rule_id", "left")
        .withColumn("is_redundant", functions.coalesce(col("is_redundant"), lit(false)));
  }

  /**
   * Top-N recommendations per customer: the consequents of the non-redundant rules whose whole
   * antecedent the customer bought in the {@code recentDays} days up to {@code asOf}, that the
   * customer did not buy in that window; score = confidence × lift of the best rule firing, which
   * is kept as the explanation.
   */
  public static Dataset<Row> recommend(
      Dataset<Row> baskets, Dataset<Row> rules, java.sql.Date asOf, BasketsSettings s) {
    Dataset<Row> recent =
        baskets
            .where(
                col("customer_id")
                    .isNotNull()
                    .and(col("order_date").gt(date_sub(lit(asOf), s.recentDays())))
                    .and(col("order_date").leq(lit(asOf))))
            .select(col("customer_id"), explode(col("items")).as("item"))
            .distinct();
    Dataset<Row> live = rules.where(col("is_redundant").equalTo(false));
    Dataset<Row> ruleItems =
        live.select(col("rule_id"), explode(col("antecedent")).as("item"), col("antecedent_size"));
    Dataset<Row> fired =
        recent
            .join(ruleItems, "item")
            .groupBy("customer_id", "rule_id", "antecedent_size")
            .agg(count(lit(1)).as("_matched"))
            .where(col("_matched").equalTo(col("antecedent_size")))
            .select("customer_id", "rule_id")
            .join(live, "rule_id")
            .withColumn("score", col("confidence").multiply(col("lift")))
            .withColumnRenamed("consequent", "item");
    Dataset<Row> notBought = fired.join(recent, new String[] {"customer_id", "item"}, "left_anti");
    Dataset<Row> best =
        notBought
            .withColumn(
                "_best",
                row_number()
                    .over(
                        Window.partitionBy("customer_id", "item")
                            .orderBy(col("score").desc(), col("rule_id"))))
            .where(col("_best").equalTo(1))
            .withColumn(
                "rank",
                row_number()
                    .over(
                        Window.partitionBy("customer_id")
                            .orderBy(col("score").desc(), col("item"))))
            .where(col("rank").leq(s.topN()));
    return best.select(
        col("customer_id"),
        col("rank"),
        col("item"),
        col("score"),
        col("confidence"),
        col("lift"),
        col("rule_id"),
        col("antecedent").as("because_bought"),
        lit(asOf).as("as_of_date"));
  }

  /** The last order date of customers' baskets (one aggregate row), or null when none. */
  public static java.sql.Date lastCustomerDate(Dataset<Row> baskets) {
    return baskets.where(col("customer_id").isNotNull()).agg(max("order_date")).first().getDate(0);
  }
}
