package io.crmlake.baskets;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the guard ({@link BasketGuard#prepare}) found and did, for the run's metrics and log.
 * Frequent items are the items of at least {@code minCount} baskets; "items per basket" below
 * counts a basket's frequent items only.
 *
 * @param baskets all baskets (those left with no frequent item included)
 * @param minCount FP-Growth's minimum count
 * @param frequentItems distinct frequent items
 * @param maxItems the most frequent items of one basket
 * @param p50Items median of frequent items per basket (p90Items, p99Items: 90th, 99th percentile)
 * @param longestPossibleItemset no frequent itemset can be longer: the largest k such that at least
 *     minCount baskets have k frequent items or more
 * @param projectedWork FP-Growth's projected work without a cap (or with max-basket-size, when a
 *     basket exceeds it), in basket-item visits; at least this much when it exceeds the budget (the
 *     projection stops there)
 * @param projectedItemsets itemsets of any length projected to be frequent, counted up to where the
 *     projection stopped
 * @param cap 0 when no basket was capped (the results are exact); otherwise the most frequent items
 *     each basket kept
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
    boolean withinBudget) {

  /** True when no basket was capped: FP-Growth will find exactly the frequent itemsets. */
  public boolean exact() {
    return cap == 0;
  }

  /** The report as run metrics (keys prefixed with {@code guard_}, and {@code capped_baskets}). */
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

  /** One line for the log: the distribution, the projection and, when capped, the cap. */
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
