package io.crmlake.baskets;

import io.crmlake.common.run.JobResult;
import java.time.LocalDate;
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
 * @param cappedBaskets baskets larger than baskets.max-basket-size, capped
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
    long cappedBaskets,
    long itemsets,
    long rules,
    long redundantRules,
    long recommendations,
    long customersWithRecommendations,
    Optional<LocalDate> asOfDate)
    implements JobResult {
  @Override
  public long inputRows() {
    return baskets;
  }

  @Override
  public long outputRows() {
    return rules;
  }
}
