package io.crmlake.baskets;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.Outputs;
import io.crmlake.common.run.RunContext;
import io.crmlake.ingest.IngestTables;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
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
 * baskets.min-support}, {@code min-confidence}, {@code level}, {@code max-itemset-length}, {@code
 * top-n}, {@code recent-days}; {@code search-budget} and {@code max-basket-size} bound FP-Growth's
 * work: baskets are capped only when its projected work would explode, and the run then reports how
 * many itemsets and rules the cap may have changed ({@link BasketGuard}). Everything is computed
 * before anything is written; then each gold table is replaced in one Delta commit ({@link
 * io.crmlake.common.run.JobRunner}), so readers see the previous or the new version.
 */
public final class BasketsJob implements Job<BasketsResult> {
  private static final Logger LOG = LoggerFactory.getLogger(BasketsJob.class);

  private final BasketsSettings settings;

  public BasketsJob(BasketsSettings settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return "baskets";
  }

  @Override
  public List<Table> outputs() {
    return BasketsTables.ALL;
  }

  @Override
  public Optional<Table> mainInput() {
    return Optional.of(IngestTables.TRANSACTIONS);
  }

  @Override
  public Outputs<BasketsResult> compute(RunContext ctx) {
    ctx.phase("build baskets from " + IngestTables.TRANSACTIONS);
    Dataset<Row> tx = ctx.lake().read(IngestTables.TRANSACTIONS);
    Baskets baskets = buildBaskets(ctx, tx);

    ctx.phase("FP-Growth and rules");
    Rules rules = mineRules(ctx, tx, baskets);

    ctx.phase("recommendations");
    Recommendations recs = recommend(ctx, tx, baskets.all(), rules.rules());

    return Outputs.of(result(baskets, rules, recs))
        .write(
            BasketsTables.FREQUENT_ITEMSETS,
            rules.itemsets().orderBy(col("count").desc(), col("items")))
        .write(
            BasketsTables.ASSOCIATION_RULES,
            rules.rules().orderBy(col("lift").desc(), col("rule_id")))
        .write(BasketsTables.PRODUCT_RECOMMENDATIONS, recs.rows())
        .build();
  }

  /**
   * The window's baskets (cached), their count and items, FP-Growth's minimum count, and the
   * baskets the guard prepared for mining.
   */
  record Baskets(
      Dataset<Row> all, long count, long items, long minCount, BasketGuard.Prepared prepared) {
    GuardReport guard() {
      return prepared.report();
    }
  }

  /** The itemsets and named rules (cached), their counts, and what the cap may have changed. */
  record Rules(
      Dataset<Row> itemsets,
      Dataset<Row> rules,
      long itemsetCount,
      long ruleCount,
      long redundant,
      Optional<BasketGuard.Impact> impact) {}

  /** The recommendation rows (cached), their count, customers, and the date they are as of. */
  record Recommendations(Dataset<Row> rows, long count, long customers, Optional<LocalDate> asOf) {}

  /** Baskets from the transactions, then the guard's pruning (and cap, when needed). */
  private Baskets buildBaskets(RunContext ctx, Dataset<Row> tx) {
    Dataset<Row> baskets = ctx.persist(BasketMiner.baskets(tx, settings));
    Row stats = baskets.agg(count(lit(1)), functions.coalesce(sum("size"), lit(0L))).first();
    long n = stats.getLong(0);
    if (n == 0) {
      throw new ConfigError(
          "baskets need items (baskets.level = "
              + level()
              + ": column "
              + settings.level().column
              + "), but no sold line of silver.transactions in the window has one; sources"
              + " without products (such as CDNOW) cannot be mined");
    }
    long minCount = settings.minCount(n);
    BasketGuard.Prepared prepared = BasketGuard.prepare(baskets, settings, minCount);
    GuardReport guard = prepared.report();
    LOG.info(
        "{} baskets; min support {} = at least {} baskets; min confidence {}; {} baskets capped",
        n,
        settings.minSupport(),
        minCount,
        settings.minConfidence(),
        guard.cappedBaskets());
    if (guard.exact()) {
      LOG.debug("{}", guard.describe());
    } else {
      LOG.warn("{}", guard.describe());
    }
    return new Baskets(baskets, n, stats.getLong(1), minCount, prepared);
  }

  /** FP-Growth on the prepared baskets; rules named; when capped, what the cap may have changed. */
  private Rules mineRules(RunContext ctx, Dataset<Row> tx, Baskets baskets) {
    BasketMiner.Mined mined =
        BasketMiner.mine(baskets.prepared().baskets(), settings, baskets.count());
    ctx.track(mined.cached());
    Dataset<Row> itemsets = ctx.persist(mined.itemsets());
    Dataset<Row> rules = ctx.persist(withNames(mined.rules(), itemNames(tx)));
    long itemsetCount = itemsets.count();
    Row counts = rules.agg(count(lit(1)), sum(when(col("is_redundant"), 1).otherwise(0))).first();
    long ruleCount = counts.getLong(0);
    long redundant = ruleCount == 0 ? 0 : counts.getLong(1);
    LOG.info("{} frequent itemsets, {} rules ({} redundant)", itemsetCount, ruleCount, redundant);
    Optional<BasketGuard.Impact> impact = Optional.empty();
    if (!baskets.guard().exact()) {
      impact = Optional.of(BasketGuard.impact(itemsets, rules, baskets.prepared()));
      LOG.warn(
          "the cap may have changed {} itemsets and {} rules (those holding an item it removed"
              + " from some basket; an itemset the cap hid would hold one too)",
          impact.get().itemsets(),
          impact.get().rules());
    }
    return new Rules(itemsets, rules, itemsetCount, ruleCount, redundant, impact);
  }

  /**
   * Top-N products per customer from the rules, as of the last date of a customer basket; none (an
   * empty table of the same columns) when no basket has a customer.
   */
  private Recommendations recommend(
      RunContext ctx, Dataset<Row> tx, Dataset<Row> baskets, Dataset<Row> rules) {
    java.sql.Date asOf = BasketMiner.lastCustomerDate(baskets);
    Dataset<Row> recs;
    if (asOf == null) {
      LOG.warn("no basket has a customer: gold.product_recommendations will be empty");
      recs =
          BasketMiner.recommend(baskets.limit(0), rules, new java.sql.Date(0), settings)
              .withColumn("item_name", lit(null).cast("string"));
    } else {
      recs =
          BasketMiner.recommend(baskets, rules, asOf, settings)
              .join(itemNames(tx).withColumnRenamed("name", "item_name"), "item");
    }
    recs = ctx.persist(recs);
    Row r = recs.agg(count(lit(1)), functions.countDistinct(col("customer_id"))).first();
    LOG.info("{} recommendations for {} customers (as of {})", r.getLong(0), r.getLong(1), asOf);
    return new Recommendations(
        recs,
        r.getLong(0),
        r.getLong(1),
        Optional.ofNullable(asOf).map(java.sql.Date::toLocalDate));
  }

  private BasketsResult result(Baskets baskets, Rules rules, Recommendations recs) {
    return new BasketsResult(
        baskets.count(),
        baskets.items(),
        settings.minSupport(),
        baskets.minCount(),
        settings.minConfidence(),
        level(),
        baskets.guard(),
        rules.impact(),
        rules.itemsetCount(),
        rules.ruleCount(),
        rules.redundant(),
        recs.count(),
        recs.customers(),
        recs.asOf());
  }

  /** product or category. */
  private String level() {
    return settings.level().name().toLowerCase(Locale.ROOT);
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
