package io.crmlake.report;

import io.crmlake.clv.BgNbd;
import io.crmlake.report.Report.Block;
import io.crmlake.report.Report.Grid;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A BG/NBD fit's expected purchases over the horizon and probability alive on a grid of frequency
 * (0 to the most repeat purchases, at most {@link #MAX_FREQUENCY}) by recency ({@link #STEPS} + 1
 * steps from 0 to T, the longest customer age). Customers without repeat purchases have recency 0,
 * so frequency 0 has one cell. Computed on the driver from the fit's four parameters.
 *
 * @param stats the gold.clv figures the grid is drawn for (T, horizon, time unit)
 * @param xs frequency labels
 * @param ys recency labels
 */
record FrequencyRecency(
    ClvSection.Stats stats, Grid expected, Grid alive, List<String> xs, List<String> ys) {
  static final int MAX_FREQUENCY = 30;
  static final int STEPS = 20;

  static FrequencyRecency of(BgNbd bg, ClvSection.Stats stats) {
    double t = stats.t();
    int maxX = (int) Math.min(Math.ceil(stats.maxFrequency()), MAX_FREQUENCY);
    FrequencyRecency g =
        new FrequencyRecency(
            stats,
            Grid.of("frequency-recency", List.of("frequency", "recency", "expected purchases")),
            Grid.of("p-alive", List.of("frequency", "recency", "P(alive)")),
            new ArrayList<>(),
            new ArrayList<>());
    for (int x = 0; x <= maxX; x++) {
      g.xs.add(String.valueOf(x));
    }
    for (int k = 0; k <= STEPS; k++) {
      g.ys.add(Report.format(t * k / STEPS));
    }
    for (int x = 0; x <= maxX; x++) {
      for (int k = 0; k <= STEPS; k++) {
        double tx = t * k / STEPS;
        if (x == 0 && k > 0) {
          continue; // recency is 0 for customers without repeat purchases
        }
        g.expected.add(g.xs.get(x), g.ys.get(k), bg.expectedPurchases(stats.horizon(), x, tx, t));
        g.alive.add(g.xs.get(x), g.ys.get(k), bg.probabilityAlive(x, tx, t));
      }
    }
    return g;
  }

  /** The two heatmaps: expected purchases, then P(alive). */
  List<Block> charts() {
    String axis = "recency (" + stats.unit() + "s, first to last purchase)";
    return List.of(
        Charts.heatmap(
            "frequency-recency",
            String.format(
                Locale.ROOT,
                "Expected purchases in the next %s %ss by frequency and recency (T = %s)",
                Report.format(stats.horizon()),
                stats.unit(),
                Report.format(stats.t())),
            "frequency (repeat purchases)",
            axis,
            "expected purchases",
            expected,
            xs,
            ys),
        Charts.heatmap(
            "p-alive",
            "Probability alive by frequency and recency",
            "frequency (repeat purchases)",
            axis,
            "P(alive)",
            alive,
            xs,
            ys));
  }
}
