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
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.ModelRefresh;
import io.crmlake.common.run.Outputs;
import io.crmlake.common.run.RunContext;
import io.crmlake.ingest.IngestTables;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.sql.Column;
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
 * many itemsets and rules the cap may have changed ({@link BasketGuard}). The rules are a model
 * with a refresh policy ({@code baskets.retrain-after-days}, {@code retrain-now}): while the
 * committed rules are fresh and mined with the same settings, a run fires them on the recent
 * baskets alone and rewrites only the recommendations. Everything is computed before anything is
 * written; then each gold table is replaced in one Delta commit ({@link
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
    Dataset<Row> tx = ctx.lake().read(IngestTables.TRANSACTIONS);
    ctx.phase("rules refresh");
    SavedRules saved = savedRules(ctx);
    return saved.decision().train() ? mine(ctx, tx, saved.decision()) : reuse(ctx, tx, saved);
  }

  /** The window's baskets mined again: every table of the job rewritten. */
  private Outputs<BasketsResult> mine(
      RunContext ctx, Dataset<Row> tx, ModelRefresh.Decision decision) {
    ctx.phase("build baskets from " + IngestTables.TRANSACTIONS);
    Baskets baskets = buildBaskets(ctx, tx);

    ctx.phase("FP-Growth and rules");
    Rules rules = mineRules(ctx, tx, baskets);

    ctx.phase("recommendations");
    Recommendations recs =
        recommend(ctx, baskets.all(), rules.rules(), BasketMiner.asOf(tx, settings));

    BasketsResult result =
        new BasketsResult(
            baskets.count(),
            baskets.items(),
            settings.minSupport(),
            baskets.minCount(),
            settings.minConfidence(),
            level(),
            Optional.of(baskets.guard()),
            rules.impact(),
            rules.itemsetCount(),
            rules.ruleCount(),
            rules.redundant(),
            recs.count(),
            recs.customers(),
            recs.asOf(),
            ctx.version(),
            decision);
    return Outputs.of(result)
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
   * The saved rules fired on the recent baskets alone ({@link BasketMiner#recentBaskets}): only
   * gold.product_recommendations is rewritten; the itemsets and rules stay as their mining run
   * committed them.
   */
  private Outputs<BasketsResult> reuse(RunContext ctx, Dataset<Row> tx, SavedRules saved) {
    ctx.phase("recent baskets");
    java.sql.Date asOf = BasketMiner.asOf(tx, settings);
    Dataset<Row> recent =
        asOf == null
            ? BasketMiner.baskets(tx, settings).limit(0)
            : ctx.persist(BasketMiner.recentBaskets(tx, settings, asOf));
    Row stats = recent.agg(count(lit(1)), functions.coalesce(sum("size"), lit(0L))).first();
    LOG.info("{} baskets in the {} days up to {}", stats.getLong(0), settings.recentDays(), asOf);

    ctx.phase("recommendations");
    Recommendations recs = recommend(ctx, recent, saved.rules(), asOf);

    Row counts =
        saved.rules().agg(count(lit(1)), sum(when(col("is_redundant"), 1).otherwise(0))).first();
    BasketsResult result =
        new BasketsResult(
            stats.getLong(0),
            stats.getLong(1),
            settings.minSupport(),
            0,
            settings.minConfidence(),
            level(),
            Optional.empty(),
            Optional.empty(),
            ctx.lake().read(BasketsTables.FREQUENT_ITEMSETS).count(),
            counts.getLong(0),
            counts.getLong(1),
            recs.count(),
            recs.customers(),
            recs.asOf(),
            saved.decision().model().orElseThrow(),
            saved.decision());
    return Outputs.of(result).write(BasketsTables.PRODUCT_RECOMMENDATIONS, recs.rows()).build();
  }

  /** The refresh policy's decision, and the rules it reuses (the saved ones, cached). */
  record SavedRules(ModelRefresh.Decision decision, Dataset<Row> rules) {}

  /**
   * Reuse the newest committed rules ({@code baskets.retrain-after-days}) unless {@link
   * #notReusable}; a saved table without rules (none found, or a lake from before the policy) has
   * nothing to reuse.
   */
  private SavedRules savedRules(RunContext ctx) {
    Lake lake = ctx.lake();
    ModelRefresh.Decision decision;
    Dataset<Row> saved = null;
    if (hasVersions(lake, BasketsTables.ASSOCIATION_RULES)) {
      saved = lake.read(BasketsTables.ASSOCIATION_RULES);
      decision = settings.refresh().decide(lake, name(), saved, ctx.startedAt());
      if (decision.model().isEmpty() && saved.isEmpty()) {
        decision = decision.train("the last mining found no rules");
      }
    } else {
      decision = settings.refresh().decide(Optional.empty(), ctx.startedAt());
    }
    if (!decision.train()) {
      String version = decision.model().orElseThrow();
      saved = ctx.persist(saved.where(col("model_version").equalTo(version)));
      Optional<String> why = notReusable(lake, version, saved);
      if (why.isPresent()) {
        decision = decision.train(why.get());
      }
    }
    LOG.info("{}", decision.describe());
    return new SavedRules(decision, saved);
  }

  /**
   * Why the committed rules {@code version} cannot be reused, if they cannot: they were mined with
   * other settings ({@link BasketsSettings#rulesDefinition}), or gold.frequent_itemsets holds other
   * itemsets than theirs (a later mining run that replaced them did not finish).
   */
  private Optional<String> notReusable(Lake lake, String version, Dataset<Row> rules) {
    String minedWith = rules.select("mined_with").first().getString(0);
    if (!settings.rulesDefinition().equals(minedWith)) {
      return Optional.of(
          "rules "
              + version
              + " were mined with "
              + minedWith
              + "; the baskets settings are now "
              + settings.rulesDefinition());
    }
    if (!hasVersions(lake, BasketsTables.FREQUENT_ITEMSETS)
        || !lake.read(BasketsTables.FREQUENT_ITEMSETS)
            .where(functions.not(col("model_version").eqNullSafe(version)))
            .isEmpty()) {
      return Optional.of(
          BasketsTables.FREQUENT_ITEMSETS
              + " does not hold the itemsets of rules "
              + version
              + " (a later mining run did not finish)");
    }
    return Optional.empty();
  }

  /** The table exists and has a model_version column (lakes from before the policy do not). */
  private static boolean hasVersions(Lake lake, Table table) {
    return lake.exists(table)
        && Arrays.asList(lake.read(table).columns()).contains("model_version");
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
    Column version = lit(ctx.version());
    Dataset<Row> itemsets = ctx.persist(mined.itemsets().withColumn("model_version", version));
    Dataset<Row> rules =
        ctx.persist(
            withNames(mined.rules(), itemNames(tx))
                .withColumn("model_version", version)
                .withColumn("mined_with", lit(settings.rulesDefinition())));
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
   * Top-N products per customer from the rules, as of the last date of a customer basket line
   * ({@link BasketMiner#asOf}); none (an empty table of the same columns) when no basket has a
   * customer. The item's name and the rules' version come with the rule that fired.
   */
  private Recommendations recommend(
      RunContext ctx, Dataset<Row> baskets, Dataset<Row> rules, java.sql.Date asOf) {
    Dataset<Row> recs;
    if (asOf == null) {
      LOG.warn("no basket has a customer: gold.product_recommendations will be empty");
      recs = BasketMiner.recommend(baskets.limit(0), rules, new java.sql.Date(0), settings);
    } else {
      recs = BasketMiner.recommend(baskets, rules, asOf, settings);
    }
    recs =
        ctx.persist(
            recs.join(
                rules.select(
                    col("rule_id"), col("consequent_name").as("item_name"), col("model_version")),
                "rule_id"));
    Row r = recs.agg(count(lit(1)), functions.countDistinct(col("customer_id"))).first();
    LOG.info("{} recommendations for {} customers (as of {})", r.getLong(0), r.getLong(1), asOf);
    return new Recommendations(
        recs,
        r.getLong(0),
        r.getLong(1),
        Optional.ofNullable(asOf).map(java.sql.Date::toLocalDate));
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
