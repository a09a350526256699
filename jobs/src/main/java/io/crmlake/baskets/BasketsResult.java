package io.crmlake.baskets;

import io.crmlake.common.run.JobResult;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a baskets run found.
 *
 * @param baskets baskets mined (one per order in the window)
 * @param itemsInBaskets items over all baskets
 * @param minSupport baskets.min-support
 * @param minCount the minimum count it implies, ceil(min-support × baskets)
 * @param minConfidence baskets.min-confidence
 * @param level product or category
 * @param guard FP-Growth's projected work and the cap, if the guard had to cap baskets
 * @param impact when capped: itemsets and rules holding an item the cap removed somewhere
 * @param itemsets frequent itemsets written
 * @param rules association rules written
 * @param redundantRules rules flagged redundant
 * @param recommendations recommendation rows written
 * @param customersWithRecommendations customers with at least one
 * @param asOfDate last order date of a customer basket; empty when no basket has a customer
 */
public record BasketsResult(
    long baskets,
    long itemsInBaskets,
    double minSupport,
    long minCount,
    double minConfidence,
    String level,
    GuardReport guard,
    Optional<BasketGuard.Impact> impact,
    long itemsets,
    long rules,
    long redundantRules,
    long recommendations,
    long customersWithRecommendations,
    Optional<LocalDate> asOfDate)
    implements JobResult {
  /** Baskets the guard capped (0: the result is exact). */
  public long cappedBaskets() {
    return guard.cappedBaskets();
  }

  /** The record's figures, with the guard's flattened in (capped_baskets, projected_work, …). */
  @Override
  public Map<String, String> metrics() {
    Map<String, String> m = new LinkedHashMap<>(JobResult.super.metrics());
    m.remove("guard");
    m.putAll(guard.metrics());
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

  @Override
  public long outputRows() {
    return rules;
  }
}
