package io.crmlake.clv;

import java.io.Serializable;
import org.apache.commons.math3.special.Gamma;

/**
 * The BG/NBD model of Fader, Hardie and Lee, "Counting Your Customers the Easy Way" (Marketing
 * Science 24(2), 2005): purchases while alive follow a Poisson process with rate λ ~ Gamma(r, α);
 * after each purchase the customer drops out with probability p ~ Beta(a, b). A customer's data is
 * (x, t_x, T): repeat purchases, time of the last one and length of observation, all measured from
 * the first purchase in the model's time unit.
 *
 * <p>Holds the four parameters; every formula is per customer and cheap, so Spark evaluates sums
 * over customers on the executors.
 */
public record BgNbd(double r, double alpha, double a, double b) implements Serializable {
  public static final String[] NAMES = {"r", "alpha", "a", "b"};

  public static BgNbd of(double[] theta) {
    return new BgNbd(theta[0], theta[1], theta[2], theta[3]);
  }

  public double[] toArray() {
    return new double[] {r, alpha, a, b};
  }

  /**
   * Log-likelihood of one customer (equation 6 of the paper) and, when {@code grad} is not null,
   * adds its gradient with respect to (r, α, a, b) to {@code grad}.
   */
  public double logLikelihood(double x, double tx, double t, double[] grad) {
    double lnAlpha = Math.log(alpha);
    double a1 = Gamma.logGamma(r + x) - Gamma.logGamma(r) + r * lnAlpha;
    double a2 =
        Gamma.logGamma(a + b)
            + Gamma.logGamma(b + x)
            - Gamma.logGamma(b)
            - Gamma.logGamma(a + b + x);
    double lnAT = Math.log(alpha + t);
    double a3 = -(r + x) * lnAT;
    double ll;
    double w3 = 1;
    double w4 = 0;
    double lnATx = 0;
    if (x > 0) {
      lnATx = Math.log(alpha + tx);
      double a4 = Math.log(a) - Math.log(b + x - 1) - (r + x) * lnATx;
      double max = Math.max(a3, a4);
      double s = Math.exp(a3 - max) + Math.exp(a4 - max);
      ll = a1 + a2 + max + Math.log(s);
      w3 = Math.exp(a3 - max) / s;
      w4 = Math.exp(a4 - max) / s;
    } else {
      ll = a1 + a2 + a3;
    }
    if (grad != null) {
      double psiAB = Gamma.digamma(a + b);
      double psiABX = Gamma.digamma(a + b + x);
      double dr = Gamma.digamma(r + x) - Gamma.digamma(r) + lnAlpha - w3 * lnAT;
      double dAlpha = r / alpha - w3 * (r + x) / (alpha + t);
      double da = psiAB - psiABX;
      double db = psiAB + Gamma.digamma(b + x) - Gamma.digamma(b) - psiABX;
      if (x > 0) {
        dr -= w4 * lnATx;
        dAlpha -= w4 * (r + x) / (alpha + tx);
        da += w4 / a;
        db -= w4 / (b + x - 1);
      }
      grad[0] += dr;
      grad[1] += dAlpha;
      grad[2] += da;
      grad[3] += db;
    }
    return ll;
  }

  /** P(alive at T | x, t_x, T) (equation 13); 1 for a customer without repeat purchases. */
  public double probabilityAlive(double x, double tx, double t) {
    if (x == 0) {
      return 1.0;
    }
    double logRatio = (r + x) * (Math.log(alpha + t) - Math.log(alpha + tx));
    return 1.0 / (1.0 + (a / (b + x - 1)) * Math.exp(logRatio));
  }

  /**
   * E[Y(h) | x, t_x, T]: expected purchases in (T, T + h] (equation 10), with the Gaussian
   * hypergeometric function summed as a series.
   */
  public double expectedPurchases(double h, double x, double tx, double t) {
    if (h <= 0) {
      return 0.0;
    }
    double z = h / (alpha + t + h);
    double hyp = hyp2f1(r + x, b + x, a + b + x - 1, z);
    double first = (a + b + x - 1) / (a - 1);
    double second = 1 - Math.pow((alpha + t) / (alpha + t + h), r + x) * hyp;
    double denominator = 1.0;
    if (x > 0) {
      denominator +=
          (a / (b + x - 1)) * Math.exp((r + x) * (Math.log(alpha + t) - Math.log(alpha + tx)));
    }
    return first * second / denominator;
  }

  /** E[X(t)]: expected purchases of a new customer in (0, t] (equation 9). */
  public double expectedPurchasesNew(double t) {
    double z = t / (alpha + t);
    return (a + b - 1)
        / (a - 1)
        * (1 - Math.pow(alpha / (alpha + t), r) * hyp2f1(r, b, a + b - 1, z));
  }

  /** ₂F₁(a, b; c; z) for 0 ≤ z < 1 by its power series (terms until they stop mattering). */
  static double hyp2f1(double a, double b, double c, double z) {
    double term = 1.0;
    double sum = 1.0;
    for (int j = 0; j < 100_000; j++) {
      term *= (a + j) * (b + j) / ((c + j) * (j + 1)) * z;
      sum += term;
      if (!Double.isFinite(sum)) {
        break;
      }
      if (Math.abs(term) < 1e-15 * Math.abs(sum)) {
        return sum;
      }
    }
    throw new ArithmeticException(
        "2F1("
            + a
            + ", "
            + b
            + "; "
            + c
            + "; "
            + z
            + ") did not converge (series overflowed or"
            + " needed more than 100,000 terms)");
  }
}
