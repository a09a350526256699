package io.crmlake.baskets;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Tables;
import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.RunContext;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Market baskets: {@code silver.transactions} → {@code gold.frequent_itemsets}, {@code
 * gold.association_rules}, {@code gold.product_recommendations}.
 *
 * <p>Run with {@code bin/crmlake baskets [--set baskets.min-support=0.005]}. One basket per order
 * (per customer-day where the source has no order ids), returns excluded, items unique per basket;
 * FP-Growth (Spark MLlib) mines the itemsets; rules get their interest measures and a redundancy
 * flag from distributed joins ({@link BasketMiner}). Settings that matter: {@code
 * baskets.min-support}, {@code min-confidence}, {@code level}, {@code max-basket-size}, {@code
 * max-itemset-length}, {@code top-n}, {@code recent-days}. Each gold table is replaced in one Delta
 * commit, so readers see the previous or the new version and history keeps the old one.
 */
public final class BasketsJob {
  private static final Logger LOG = LoggerFactory.getLogger(BasketsJob.class);

  private final Lake lake;
  private final BasketsSettings settings;

  public BasketsJob(Lake lake, BasketsSettings settings) {
    this.lake = lake;
    this.settings = settings;
  }

  public JobResult run(RunContext ctx) {
    Map<String, String> m = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    ctx.phase("build baskets from " + Tables.TRANSACTIONS);
    Dataset<Row> tx = lake.read(Tables.TRANSACTIONS);
    Dataset<Row> baskets =
        BasketMiner.baskets(tx, settings).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Row stats =
          baskets
              .agg(
                  count(lit(1)),
                  sum(when(col("size").gt(settings.maxBasketSize()), 1).otherwise(0)),
                  functions.coalesce(sum("size"), lit(0L)))
              .first();
      long n = stats.getLong(0);
      long large = stats.isNullAt(1) ? 0 : stats.getLong(1);
      if (n == 0) {
        throw new ConfigError(
            "baskets need items (baskets.level = "
                + settings.level().name().toLowerCase()
                + ": column "
                + settings.level().column
                + "), but no sold line of silver.transactions in the window has one; sources"
                + " without products (such as CDNOW) cannot be mined");
      }
      long minCount = settings.minCount(n);
      m.put("baskets", String.valueOf(n));
      m.put("items_in_baskets", String.valueOf(stats.getLong(2)));
      m.put("min_support", String.valueOf(settings.minSupport()));
      m.put("min_count", String.valueOf(minCount));
      m.put("min_confidence", String.valueOf(settings.minConfidence()));
      m.put("level", settings.level().name().toLowerCase());
      m.put("capped_baskets", String.valueOf(large));
      LOG.info(
          "{} baskets; min support {} = at least {} baskets; min confidence {}",
          n,
          settings.minSupport(),
          minCount,
          settings.minConfidence());
      Dataset<Row> input = baskets;
      if (large > 0) {
        LOG.warn(
            "{} baskets have more than {} distinct items; capped to their {} most frequent items"
                + " (baskets.max-basket-size)",
            large,
            settings.maxBasketSize(),
            settings.maxBasketSize());
        input = BasketMiner.cap(baskets, settings.maxBasketSize());
      }
      m.put("prepare_ms", String.valueOf((System.nanoTime() - t0) / 1_000_000));

      long t1 = System.nanoTime();
      ctx.phase("FP-Growth and rules");
      BasketMiner.Mined mined = BasketMiner.mine(input, settings, n);
      Dataset<Row> names = itemNames(tx);
      try {
        lake.overwrite(
            Tables.FREQUENT_ITEMSETS, mined.itemsets().orderBy(col("count").desc(), col("items")));
        lake.overwrite(
            Tables.ASSOCIATION_RULES,
            withNames(mined.rules(), names).orderBy(col("lift").desc(), col("rule_id")));
      } finally {
        mined.release();
      }
      Row counts =
          lake.read(Tables.ASSOCIATION_RULES)
              .agg(count(lit(1)), sum(when(col("is_redundant"), 1).otherwise(0)))
              .first();
      long itemsets = lake.read(Tables.FREQUENT_ITEMSETS).count();
      long rules = counts.getLong(0);
      long redundant = rules == 0 ? 0 : counts.getLong(1);
      m.put("itemsets", String.valueOf(itemsets));
      m.put("rules", String.valueOf(rules));
      m.put("redundant_rules", String.valueOf(redundant));
      m.put("mine_ms", String.valueOf((System.nanoTime() - t1) / 1_000_000));
      LOG.info("{} frequent itemsets, {} rules ({} redundant)", itemsets, rules, redundant);

      long t2 = System.nanoTime();
      ctx.phase("recommendations");
      java.sql.Date asOf = BasketMiner.lastCustomerDate(baskets);
      Dataset<Row> recs;
      if (asOf == null) {
        LOG.warn("no basket has a customer: gold.product_recommendations will be empty");
        recs =
            BasketMiner.recommend(
                    baskets.limit(0),
                    lake.read(Tables.ASSOCIATION_RULES),
                    new java.sql.Date(0),
                    settings)
                .withColumn("item_name", lit(null).cast("string"));
      } else {
        recs =
            BasketMiner.recommend(baskets, lake.read(Tables.ASSOCIATION_RULES), asOf, settings)
                .join(names.withColumnRenamed("name", "item_name"), "item")
                .select(
                    col("customer_id"),
                    col("rank"),
                    col("item"),
                    col("item_name"),
                    col("score"),
                    col("confidence"),
                    col("lift"),
                    col("rule_id"),
                    col("because_bought"),
                    col("as_of_date"));
      }
      lake.overwrite(Tables.PRODUCT_RECOMMENDATIONS, recs);
      Row r =
          lake.read(Tables.PRODUCT_RECOMMENDATIONS)
              .agg(count(lit(1)), functions.countDistinct(col("customer_id")))
              .first();
      m.put("recommendations", String.valueOf(r.getLong(0)));
      m.put("customers_with_recommendations", String.valueOf(r.getLong(1)));
      m.put("as_of_date", String.valueOf(asOf));
      m.put("recommend_ms", String.valueOf((System.nanoTime() - t2) / 1_000_000));
      return new JobResult(n, rules, 0, 0, m);
    } finally {
      baskets.unpersist();
    }
  }

  /** Item id → readable name (product name, or the category itself). */
  private Dataset<Row> itemNames(Dataset<Row> tx) {
    String item = settings.level().column;
    String name = settings.level() == BasketsSettings.Level.PRODUCT ? "product_name" : "category";
    return tx.where(col(item).isNotNull())
        .groupBy(col(item).as("item"))
        .agg(first(col(name), true).as("name"));
  }

  /** Adds antecedent_names and consequent_name to rules, by distributed joins. */
  static Dataset<Row> withNames(Dataset<Row> rules, Dataset<Row> names) {
    Dataset<Row> antecedentNames =
        rules
            .select(col("rule_id"), posexplode(col("antecedent")).as(new String[] {"pos", "item"}))
            .join(names, "item")
            .groupBy("rule_id")
            .agg(
                functions
                    .array_sort(functions.collect_list(functions.struct(col("pos"), col("name"))))
                    .getField("name")
                    .as("antecedent_names"));
    return rules
        .join(antecedentNames, "rule_id")
        .join(
            names
                .withColumnRenamed("item", "consequent")
                .withColumnRenamed("name", "consequent_name"),
            "consequent");
  }
}
