package io.crmlake.baskets;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.config.Settings;
import io.crmlake.common.run.ModelRefresh;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

/** Settings of the baskets job ({@code baskets.*}; meanings in crmlake-defaults.conf). */
public record BasketsSettings(
    double minSupport,
    double minConfidence,
    Level level,
    Optional<LocalDate> windowStart,
    Optional<LocalDate> windowEnd,
    int maxBasketSize,
    double searchBudget,
    int maxItemsetLength,
    int partitions,
    int topN,
    int recentDays,
    ModelRefresh refresh) {

  /** What an item of a basket is. */
  public enum Level {
    PRODUCT("product_id"),
    CATEGORY("category");

    final String column;

    Level(String column) {
      this.column = column;
    }
  }

  public static BasketsSettings from(CrmlakeConfig config) {
    Settings s = config.settings();
    double support = s.doubleIn("baskets.min-support", 0, 1);
    if (support <= 0) {
      throw ConfigError.invalid("baskets.min-support", support, "must be in (0, 1]");
    }
    BasketsSettings b =
        new BasketsSettings(
            support,
            s.doubleIn("baskets.min-confidence", 0, 1),
            s.enumValue("baskets.level", Level.class),
            s.optDate("baskets.window-start"),
            s.optDate("baskets.window-end"),
            s.intAtLeast("baskets.max-basket-size", 16),
            s.doubleIn("baskets.search-budget", 0, Double.MAX_VALUE),
            s.intAtLeast("baskets.max-itemset-length", 2),
            s.intAtLeast("baskets.partitions", 0),
            s.intAtLeast("baskets.top-n", 1),
            s.intAtLeast("baskets.recent-days", 1),
            ModelRefresh.of(s, "baskets", "association rules"));
    if (!(b.searchBudget() >= 1) || Double.isInfinite(b.searchBudget())) {
      throw ConfigError.invalid(
          "baskets.search-budget", b.searchBudget(), "must be a finite number of at least 1");
    }
    if (b.windowStart().isPresent()
        && b.windowEnd().isPresent()
        && b.windowEnd().get().isBefore(b.windowStart().get())) {
      throw ConfigError.invalid(
          "baskets.window-end", b.windowEnd().get(), "must not be before baskets.window-start");
    }
    return b;
  }

  /**
   * Settings for tests and embedding: the shipped defaults of {@code crmlake-defaults.conf} with
   * the given thresholds (and nothing else) overridden.
   */
  public static BasketsSettings of(double minSupport, double minConfidence) {
    return from(
        CrmlakeConfig.load(
            null,
            Path.of("").toAbsolutePath(),
            List.of(
                "baskets.min-support=" + minSupport, "baskets.min-confidence=" + minConfidence)));
  }

  /**
   * The settings the rules depend on, in words (stored with the rules as {@code mined_with}): saved
   * rules mined with others are mined again. top-n, recent-days and partitions only shape the
   * recommendations or the work, not the rules.
   */
  public String rulesDefinition() {
    return String.format(
        java.util.Locale.ROOT,
        "level=%s, min-support=%s, min-confidence=%s, max-itemset-length=%d, max-basket-size=%d,"
            + " search-budget=%s, window=%s..%s",
        level.name().toLowerCase(java.util.Locale.ROOT),
        minSupport,
        minConfidence,
        maxItemsetLength,
        maxBasketSize,
        searchBudget,
        windowStart.map(String::valueOf).orElse(""),
        windowEnd.map(String::valueOf).orElse(""));
  }

  /** The minimum count FP-Growth applies: ceil(min-support x baskets), as MLlib computes it. */
  public long minCount(long baskets) {
    return (long) Math.ceil(minSupport * baskets);
  }
}
