package io.crmlake.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.math3.analysis.UnivariateFunction;
import org.apache.commons.math3.analysis.integration.IterativeLegendreGaussIntegrator;
import org.apache.commons.math3.special.Beta;
import org.junit.jupiter.api.Test;

/** The closed forms of BG/NBD and Gamma-Gamma against independent computations (no Spark). */
class ClvFormulasTest {
  static final BgNbd CDNOW = new BgNbd(0.243, 4.414, 0.793, 2.426);

  @Test
  void customerWithoutRepeatPurchasesIsAlive() {
    assertEquals(1.0, CDNOW.probabilityAlive(0, 0, 38.86), 0.0);
    assertEquals(1.0, CDNOW.probabilityAlive(0, 0, 1), 0.0);
    // A customer who bought often long ago is less likely alive than one who bought recently.
    double recent = CDNOW.probabilityAlive(5, 38, 39);
    double lapsed = CDNOW.probabilityAlive(5, 10, 39);
    assertTrue(recent > 0.8 && lapsed < 0.1, recent + " vs " + lapsed);
  }

  /**
   * E[Y(t) | x, t_x, T] by numerical integration of its definition: integrating λ out analytically
   * leaves one integral over the dropout probability p ~ Beta(a, b) of (1-p)^x / p · [(α+T)^-(r+x)
   * − (α+T+pt)^-(r+x)] (alive at T, then (1 − e^(−λpt))/p purchases), divided by the integral of
   * the individual likelihood (1-p)^x (α+T)^-(r+x) + p (1-p)^(x−1) (α+t_x)^-(r+x). Substituting p =
   * u² keeps the integrands smooth at 0.
   */
  static double expectedByIntegration(BgNbd m, double h, double x, double tx, double t) {
    double rx = m.r() + x;
    double logBeta = Beta.logBeta(m.a(), m.b());
    // Both integrands are divided by (α+T)^-(r+x), which cancels in the ratio.
    UnivariateFunction density =
        u ->
            2 * u * Math.pow(u * u, m.a() - 1) * Math.pow(1 - u * u, m.b() - 1) / Math.exp(logBeta);
    UnivariateFunction num =
        u -> {
          double p = u * u;
          if (p == 0) {
            return 0;
          }
          double afterH = Math.pow((m.alpha() + t) / (m.alpha() + t + p * h), rx);
          return Math.pow(1 - p, x) / p * (1 - afterH) * density.value(u);
        };
    UnivariateFunction den =
        u -> {
          double p = u * u;
          double dead =
              x > 0
                  ? p * Math.pow(1 - p, x - 1) * Math.pow((m.alpha() + t) / (m.alpha() + tx), rx)
                  : 0;
          return (Math.pow(1 - p, x) + dead) * density.value(u);
        };
    IterativeLegendreGaussIntegrator integrator =
        new IterativeLegendreGaussIntegrator(16, 1e-11, 1e-14);
    return integrator.integrate(10_000_000, num, 0, 1)
        / integrator.integrate(10_000_000, den, 0, 1);
  }

  @Test
  void conditionalExpectationEqualsItsIntegral() {
    double[][] cases = {
      // x, t_x, T, horizon
      {0, 0, 38.86, 39},
      {2, 30.43, 38.86, 39},
      {7, 35, 38, 52},
      {1, 2, 30, 10},
      {15, 70, 78, 26},
    };
    for (BgNbd m : new BgNbd[] {CDNOW, new BgNbd(1.3, 12.0, 1.8, 4.0)}) {
      for (double[] c : cases) {
        double closed = m.expectedPurchases(c[3], c[0], c[1], c[2]);
        double integral = expectedByIntegration(m, c[3], c[0], c[1], c[2]);
        assertEquals(
            integral, closed, 1e-7 * Math.max(1, integral), m + " " + java.util.Arrays.toString(c));
      }
    }
  }

  @Test
  void unconditionalExpectationIsTheNewCustomerCase() {
    // A customer observed for T = 0 with no repeat purchase is a new customer: E[Y(t)|0,0,0] =
    // E[X(t)].
    for (double t : new double[] {1, 10, 39, 78}) {
      assertEquals(CDNOW.expectedPurchasesNew(t), CDNOW.expectedPurchases(t, 0, 0, 0), 1e-10);
    }
  }

  @Test
  void hypergeometricSeriesMatchesClosedForms() {
    // 2F1(1, 1; 2; z) = -ln(1 - z) / z and 2F1(a, b; b; z) = (1 - z)^-a.
    for (double z : new double[] {0.01, 0.3, 0.7, 0.95}) {
      assertEquals(-Math.log(1 - z) / z, BgNbd.hyp2f1(1, 1, 2, z), 1e-12);
      assertEquals(Math.pow(1 - z, -2.5), BgNbd.hyp2f1(2.5, 3.1, 3.1, z), 1e-10);
    }
  }

  @Test
  void gradientsEqualFiniteDifferences() {
    double[][] customers = {{0, 0, 38.86}, {2, 30.43, 38.86}, {12, 50, 77}};
    for (double[] c : customers) {
      double[] theta = CDNOW.toArray();
      double[] grad = new double[4];
      CDNOW.logLikelihood(c[0], c[1], c[2], grad);
      for (int i = 0; i < 4; i++) {
        double h = 1e-6 * theta[i];
        double[] up = theta.clone();
        double[] down = theta.clone();
        up[i] += h;
        down[i] -= h;
        double fd =
            (BgNbd.of(up).logLikelihood(c[0], c[1], c[2], null)
                    - BgNbd.of(down).logLikelihood(c[0], c[1], c[2], null))
                / (2 * h);
        assertEquals(
            fd,
            grad[i],
            1e-6 * Math.max(1, Math.abs(fd)),
            BgNbd.NAMES[i] + " at " + java.util.Arrays.toString(c));
      }
    }
    GammaGamma gg = new GammaGamma(6.25, 3.74, 15.44);
    double[][] spenders = {{1, 20.5}, {4, 35.1}, {10, 12.0}};
    for (double[] c : spenders) {
      double[] theta = gg.toArray();
      double[] grad = new double[3];
      gg.logLikelihood(c[0], c[1], grad);
      for (int i = 0; i < 3; i++) {
        double h = 1e-6 * theta[i];
        double[] up = theta.clone();
        double[] down = theta.clone();
        up[i] += h;
        down[i] -= h;
        double fd =
            (GammaGamma.of(up).logLikelihood(c[0], c[1], null)
                    - GammaGamma.of(down).logLikelihood(c[0], c[1], null))
                / (2 * h);
        assertEquals(fd, grad[i], 1e-6 * Math.max(1, Math.abs(fd)), GammaGamma.NAMES[i]);
      }
    }
  }

  @Test
  void expectedSpendShrinksTowardsThePopulationMean() {
    GammaGamma gg = new GammaGamma(6.25, 3.74, 15.44);
    double population = 6.25 * 15.44 / (3.74 - 1);
    assertEquals(population, gg.expectedSpend(0, 0), 1e-12);
    // Weighted average of the population mean and the customer's own mean (x = 3, m = 50):
    double w = 6.25 * 3 / (6.25 * 3 + 3.74 - 1);
    assertEquals((1 - w) * population + w * 50, gg.expectedSpend(3, 50), 1e-9);
  }

  @Test
  void hypergeometricSeriesRefusesToDiverge() {
    assertThrows(ArithmeticException.class, () -> BgNbd.hyp2f1(50, 50, 1, 0.99999999));
  }
}
