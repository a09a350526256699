package io.crmlake.clv;

import java.io.Serializable;
import org.apache.commons.math3.special.Gamma;

/**
 * The Gamma-Gamma spend model of Fader, Hardie and Lee, "RFM and CLV: Using Iso-Value Curves for
 * Customer Base Analysis" (Journal of Marketing Research 42(4), 2005; Colombo and Jiang 1999): a
 * customer's transaction values are Gamma(p, ν) around a mean, with ν ~ Gamma(q, γ) across
 * customers. Fitted on customers with at least one repeat purchase, from x (repeat purchases) and m
 * (their mean value). Assumes spend is independent of purchase frequency.
 */
public record GammaGamma(double p, double q, double gamma) implements Serializable {
  public static final String[] NAMES = {"p", "q", "gamma"};

  public static GammaGamma of(double[] theta) {
    return new GammaGamma(theta[0], theta[1], theta[2]);
  }

  public double[] toArray() {
    return new double[] {p, q, gamma};
  }

  /** Log-likelihood of one customer's mean spend m over x transactions, plus its gradient. */
  public double logLikelihood(double x, double m, double[] grad) {
    double px = p * x;
    double lnGM = Math.log(gamma + x * m);
    double ll =
        Gamma.logGamma(px + q)
            - Gamma.logGamma(px)
            - Gamma.logGamma(q)
            + q * Math.log(gamma)
            + (px - 1) * Math.log(m)
            + px * Math.log(x)
            - (px + q) * lnGM;
    if (grad != null) {
      double psiPQ = Gamma.digamma(px + q);
      grad[0] += x * (psiPQ - Gamma.digamma(px) + Math.log(m) + Math.log(x) - lnGM);
      grad[1] += psiPQ - Gamma.digamma(q) + Math.log(gamma) - lnGM;
      grad[2] += q / gamma - (px + q) / (gamma + x * m);
    }
    return ll;
  }

  /**
   * E[M | x, m]: expected average transaction value (equation 5 of the JMR paper); the population
   * mean pγ/(q−1) for a customer without repeat purchases.
   */
  public double expectedSpend(double x, double m) {
    if (x == 0) {
      return p * gamma / (q - 1);
    }
    return p * (gamma + x * m) / (p * x + q - 1);
  }
}
