package io.crmlake.clv;

import io.crmlake.common.run.ModelRefresh;
import io.crmlake.common.run.PerCustomerResult;
import java.time.LocalDate;
import java.util.Optional;

/**
 * What a clv run fitted and scored.
 *
 * @param modelVersion the version of the parameters that scored: this run's when it fitted (in
 *     gold.clv, gold.clv_models and gold.clv_validation), else the reused fit's
 * @param firstTransaction first customer transaction date
 * @param calibrationEnd end of the calibration period (inclusive)
 * @param observationEnd last day of data of the full fit (inclusive)
 * @param timeUnit day, week or month
 * @param customers customers scored in gold.clv
 * @param calibration the calibration fits, checked on the holdout (runs that fit)
 * @param full the full fits, which score every customer (runs that fit)
 * @param holdout predicted vs actual repeat purchases after calibrationEnd (runs that fit)
 * @param horizon time units the CLV covers (clv.horizon)
 * @param discountRate annual discount rate (clv.discount-rate)
 * @param margin share of spend that is profit (clv.margin)
 * @param totalClv sum of the customers' CLV over the horizon
 * @param totalExpectedPurchases sum of their expected purchases over the horizon
 * @param meanPAlive mean P(alive)
 * @param refresh the refresh policy's decision (the {@code auto} mode)
 */
public record ClvResult(
    String modelVersion,
    LocalDate firstTransaction,
    LocalDate calibrationEnd,
    LocalDate observationEnd,
    String timeUnit,
    long customers,
    Optional<Fits> calibration,
    Optional<Fits> full,
    Optional<Holdout> holdout,
    double horizon,
    double discountRate,
    double margin,
    double totalClv,
    double totalExpectedPurchases,
    double meanPAlive,
    Optional<ModelRefresh.Decision> refresh)
    implements PerCustomerResult {

  /** BG/NBD and Gamma-Gamma fitted on one period, and the spend/frequency correlation. */
  public record Fits(Fit bgnbd, Fit gammaGamma, double spendFrequencyCorrelation) {}

  /**
   * One maximum-likelihood fit.
   *
   * @param params parameters with standard errors, e.g. "r=0.2426 (se 0.0126), …"
   */
  public record Fit(
      String params,
      double logLikelihood,
      int iterations,
      long evaluations,
      long rows,
      long fitMillis) {}

  /**
   * The calibration fit's check on the holdout.
   *
   * @param length holdout length in time units
   * @param customers calibration customers
   * @param actual actual repeat purchases in the holdout
   * @param predicted predicted repeat purchases
   * @param mae mean absolute error per customer
   */
  public record Holdout(
      double length, long customers, double actual, double predicted, double mae) {}
}
