package io.crmlake.cli;

import io.crmlake.baskets.BasketsJob;
import io.crmlake.baskets.BasketsSettings;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.RunContext;
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
final class BasketsCommand extends JobCommand<BasketsSettings> {
  @Override
  String job() {
    return "baskets";
  }

  @Override
  BasketsSettings settings(CrmlakeConfig config) {
    return BasketsSettings.from(config);
  }

  @Override
  JobResult execute(Lake lake, BasketsSettings settings, RunContext ctx) {
    return new BasketsJob(lake, settings).run(ctx);
  }

  @Override
  void report(JobResult r, BasketsSettings s) {
    var m = r.metrics();
    System.out.printf(
        "baskets: %s baskets (%s capped at %d items); min support %s = %s baskets; min confidence"
            + " %s%n",
        m.get("baskets"),
        m.get("capped_baskets"),
        s.maxBasketSize(),
        m.get("min_support"),
        m.get("min_count"),
        m.get("min_confidence"));
    System.out.printf(
        "  %s frequent itemsets, %s rules (%s redundant); %s recommendations for %s customers"
            + " (as of %s)%n",
        m.get("itemsets"),
        m.get("rules"),
        m.get("redundant_rules"),
        m.get("recommendations"),
        m.get("customers_with_recommendations"),
        m.get("as_of_date"));
    System.out.printf(
        "  time: prepare %s ms, FP-Growth + rules %s ms, recommendations %s ms%n",
        m.get("prepare_ms"), m.get("mine_ms"), m.get("recommend_ms"));
  }
}
