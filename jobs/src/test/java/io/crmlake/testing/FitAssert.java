package io.crmlake.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crmlake.clv.BgNbd;

/** Comparisons of fitted models through what they predict. */
public final class FitAssert {
  private FitAssert() {}

  /**
   * Two BG/NBD fits say the same of customers: P(alive) to 1e-4 and expected purchases over {@code
   * horizon} time units to 1e-4 (relative above 1), for a range of histories (x, t_x, T) from a
   * one-time buyer to a frequent recent one. Parameters on a flat ridge (a and b) may differ more.
   */
  public static void assertSamePredictions(BgNbd expected, BgNbd actual, double horizon) {
    for (double[] h : new double[][] {{0, 0, 30}, {1, 5, 40}, {4, 20, 60}, {10, 70, 75}}) {
      assertEquals(
          expected.probabilityAlive(h[0], h[1], h[2]),
          actual.probabilityAlive(h[0], h[1], h[2]),
          1e-4);
      double e = expected.expectedPurchases(horizon, h[0], h[1], h[2]);
      assertEquals(e, actual.expectedPurchases(horizon, h[0], h[1], h[2]), 1e-4 * Math.max(1, e));
    }
  }
}
