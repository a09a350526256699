package io.crmlake.baskets;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.when;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * FP-Growth's projected work, for {@link BasketGuard}: a model in which a basket of a given number
 * of frequent items holds each item independently, with the item's share among baskets of similar
 * size (size classes 1, 2, 3–4, 5–8, ..., each a power of two). Summed over the empty itemset and
 * each itemset the model projects to be frequent (all lengths, as MLlib mines them): the expected
 * total size of the baskets that hold it, which is what FP-Growth visits to project its conditional
 * trees. It is quadratic in basket size for long baskets (Σ size²) and grows like 2^k when k items
 * are shared by enough huge baskets. Spark computes aggregates only (a histogram of basket sizes,
 * item counts per size class); nothing per basket reaches the driver.
 */
final class WorkProjection {
  private WorkProjection() {}

  /**
   * The aggregates a projection is computed from.
   *
   * @param sizes frequent items per basket → baskets (every basket, also those with none)
   * @param classCounts item counts per size class: key -1 = no cap (max-basket-size applied), key j
   *     = cap 2^j (only rows of the baskets the cap cuts, all in class j; the other classes are key
   *     -1's); then size class → item → baskets
   * @param items the frequent items, most frequent first (ties by item)
   * @param maxSize baskets.max-basket-size
   */
  record Basis(
      TreeMap<Integer, Long> sizes,
      Map<Integer, Map<Integer, Map<String, Long>>> classCounts,
      List<String> items,
      int maxSize) {}

  /** Projected work and frequent itemsets; the count stops once the work exceeds the budget. */
  record Projection(double work, long itemsets) {}

  /** The projection model: per size class c, its basket count, mean size and each item's share. */
  record Model(double[] baskets, double[] meanSize, double[][] share) {}

  /**
   * Item counts per size class of {@code ordered} (columns {@code _ordered}: a basket's frequent
   * items, most frequent first, and {@code _f}: their number), for no cap and every cap 2^j, j from
   * {@code jmin} to 30: one aggregation, collected (one row per key, class and item).
   */
  static Map<Integer, Map<Integer, Map<String, Long>>> classCounts(
      Dataset<Row> ordered, int jmin, int maxSize) {
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
    return classCounts;
  }

  /** The size class of a basket of g items: 0 for 1, else ceil(log2 g) (2, 3–4, 5–8, ...). */
  static int sizeClass(int g) {
    return g <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(g - 1);
  }

  static Column sizeClass(Column g) {
    return when(g.leq(1), lit(0)).otherwise(functions.length(functions.bin(g.minus(1))));
  }

  /**
   * The projection of the baskets capped to 2^j items ({@code j = -1}: to max-basket-size only).
   */
  static Projection project(Basis b, int j, long minCount, double budget) {
    return project(model(b, j), minCount, budget);
  }

  /**
   * The model of the baskets capped to 2^j items ({@code j = -1}: to {@code maxSize} only). The
   * capped baskets form a class of their own (the last), apart from the baskets of their new size.
   */
  static Model model(Basis b, int j) {
    TreeMap<Integer, Long> hist = b.sizes();
    int limit = j < 0 ? b.maxSize() : 1 << j;
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
    double[][] share = new double[b.items().size()][classes];
    Map<Integer, Map<String, Long>> base = b.classCounts().getOrDefault(-1, Map.of());
    for (int c = 0; c <= sizeClasses; c++) {
      add(share, b.items(), base.getOrDefault(c, Map.of()), c);
    }
    if (j >= 0) {
      add(
          share,
          b.items(),
          b.classCounts().getOrDefault(j, Map.of()).getOrDefault(j, Map.of()),
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
}
