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
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

import org.apache.spark.ml.fpm.FPGrowth;
import org.apache.spark.ml.fpm.FPGrowthModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;

/**
 * The market-basket transformations, free of I/O so that tests call them directly: baskets from
 * order lines ({@link #baskets}; {@link BasketGuard} prunes and, when needed, caps them), FP-Growth
 * itemsets and rules with interest measures and a redundancy flag ({@link #mine}), and next-product
 * recommendations ({@link #recommend}). Everything is a distributed Spark computation; nothing is
 * collected to the driver.
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
    return basketsOf(basketLines(transactions, s), s);
  }

  /**
   * The date recommendations are as of: the last order date of the window's basket lines (sold,
   * with an item and an order id) that have a customer; null when there is none. It reads order
   * dates only, so a run that reuses its rules need not build the window's baskets.
   */
  public static java.sql.Date asOf(Dataset<Row> transactions, BasketsSettings s) {
    return basketLines(transactions, s)
        .where(col("customer_id").isNotNull())
        .agg(max("order_date"))
        .first()
        .getDate(0);
  }

  /**
   * The baskets of {@link #baskets} that {@link #recommend} reads for {@code asOf}: those dated in
   * the {@code recentDays} days up to it. An order's basket is dated by its first line and holds
   * its lines of every day, so it is built from all the lines of the orders with a line in those
   * days: only those orders' lines are grouped, not the window's.
   */
  public static Dataset<Row> recentBaskets(
      Dataset<Row> transactions, BasketsSettings s, java.sql.Date asOf) {
    Dataset<Row> lines = basketLines(transactions, s);
    Dataset<Row> orders = lines.where(recent(asOf, s)).select("order_id").distinct();
    return basketsOf(lines.join(orders, "order_id", "left_semi"), s).where(recent(asOf, s));
  }

  /** order_date in the {@code recentDays} days up to {@code asOf}. */
  private static Column recent(java.sql.Date asOf, BasketsSettings s) {
    return col("order_date")
        .gt(date_sub(lit(asOf), s.recentDays()))
        .and(col("order_date").leq(lit(asOf)));
  }

  /** The lines baskets are made of: sold, with an item and an order id, in the window. */
  private static Dataset<Row> basketLines(Dataset<Row> transactions, BasketsSettings s) {
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
    return lines;
  }

  private static Dataset<Row> basketsOf(Dataset<Row> lines, BasketsSettings s) {
    String item = s.level().column;
    return lines
        .groupBy("order_id")
        .agg(
            first("customer_id", true).as("customer_id"),
            min("order_date").as("order_date"),
            array_sort(collect_set(col(item))).as("items"))
        .withColumn("size", size(col("items")));
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
            .where(col("customer_id").isNotNull().and(recent(asOf, s)))
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
}
