package io.crmlake.cli;

import io.crmlake.baskets.BasketsJob;
import io.crmlake.baskets.BasketsResult;
import io.crmlake.baskets.BasketsSettings;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.Job;
import picocli.CommandLine.Command;

@Command(
    name = "baskets",
    mixinStandardHelpOptions = true,
    description = {
      "Mine market baskets with FP-Growth.",
      "Writes gold.frequent_itemsets, gold.association_rules (support, confidence, lift,",
      "leverage, conviction, redundancy) and gold.product_recommendations. Settings: baskets.*",
      "(min-support, min-confidence, level, window-start/-end, max-basket-size,",
      "max-itemset-length, partitions, top-n, recent-days)."
    })
final class BasketsCommand extends JobCommand<BasketsResult> {
  @Override
  Job<BasketsResult> job(CrmlakeConfig config) {
    return new BasketsJob(BasketsSettings.from(config));
  }

  @Override
  void report(Lake lake, BasketsResult r) {
    System.out.println("baskets: " + r.refresh().describe());
    if (r.refresh().train()) {
      System.out.printf(
          "  %d baskets (%d capped); min support %s = %d baskets; min confidence %s%n",
          r.baskets(), r.cappedBaskets(), r.minSupport(), r.minCount(), r.minConfidence());
    } else {
      System.out.printf("  %d recent baskets read%n", r.baskets());
    }
    if (r.guard().isPresent() && !r.guard().get().exact()) {
      System.out.println("  " + r.guard().get().describe());
      r.impact()
          .ifPresent(
              i ->
                  System.out.printf(
                      "  the cap may have changed %d itemsets and %d rules%n",
                      i.itemsets(), i.rules()));
    }
    System.out.printf(
        "  %d frequent itemsets, %d rules (%d redundant); %d recommendations for %d customers"
            + " (as of %s)%n",
        r.itemsets(),
        r.rules(),
        r.redundantRules(),
        r.recommendations(),
        r.customersWithRecommendations(),
        r.asOfDate().map(String::valueOf).orElse("-"));
  }
}
