package io.crmlake.baskets;

import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.ModelRefresh;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a baskets run found.
 *
 * @param baskets baskets read: the window's (one per order) when the run mined, the recent ones the
 *     recommendations read when it reused its rules
 * @param itemsInBaskets items over those baskets
 * @param minSupport baskets.min-support
 * @param minCount the minimum count it implies, ceil(min-support × baskets); 0 when not mined
 * @param minConfidence baskets.min-confidence
 * @param level product or category
 * @param guard FP-Growth's projected work and the cap (when the run mined)
 * @param impact when capped: itemsets and rules holding an item the cap removed somewhere
 * @param itemsets frequent itemsets in gold.frequent_itemsets (written, or reused)
 * @param rules association rules in gold.association_rules (written, or reused)
 * @param redundantRules rules flagged redundant
 * @param recommendations recommendation rows written
 * @param customersWithRecommendations customers with at least one
 * @param asOfDate last order date of a customer's basket line; empty when no basket has a customer
 * @param modelVersion the version of the rules the recommendations come from
 * @param refresh whether the run mined or reused its rules, and why
 */
public record BasketsResult(
    long baskets,
    long itemsInBaskets,
    double minSupport,
    long minCount,
    double minConfidence,
    String level,
    Optional<GuardReport> guard,
    Optional<BasketGuard.Impact> impact,
    long itemsets,
    long rules,
    long redundantRules,
    long recommendations,
    long customersWithRecommendations,
    Optional<LocalDate> asOfDate,
    String modelVersion,
    ModelRefresh.Decision refresh)
    implements JobResult {
  /** Baskets the guard capped (0: the result is exact, or the rules were reused). */
  public long cappedBaskets() {
    return guard.map(GuardReport::cappedBaskets).orElse(0L);
  }

  /** The record's figures, with the guard's flattened in (capped_baskets, projected_work, …). */
  @Override
  public Map<String, String> metrics() {
    Map<String, String> m = new LinkedHashMap<>(JobResult.super.metrics());
    m.remove("guard");
    guard.ifPresent(g -> m.putAll(g.metrics()));
    impact.ifPresent(
        i -> {
          m.remove("impact");
          m.put("itemsets_at_risk", String.valueOf(i.itemsets()));
          m.put("rules_at_risk", String.valueOf(i.rules()));
        });
    return m;
  }

  @Override
  public long inputRows() {
    return baskets;
  }

  /** The rules written: none when the run reused them. */
  @Override
  public long outputRows() {
    return refresh.train() ? rules : 0;
  }
}
