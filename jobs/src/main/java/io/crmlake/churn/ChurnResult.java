package io.crmlake.churn;

import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.ModelRefresh;
import java.time.LocalDate;
import java.util.Optional;

/**
 * What a churn run trained and scored.
 *
 * @param mode train, score or both
 * @param modelVersion the model trained, or the one that scored
 * @param model its candidate: logistic, random-forest or gbt
 * @param training what a training run did, absent for score-only runs
 * @param scoring what a scoring run did, absent for train-only runs
 * @param refresh the refresh policy's decision, in the {@code auto} mode
 */
public record ChurnResult(
    String mode,
    String modelVersion,
    String model,
    Optional<Training> training,
    Optional<Scoring> scoring,
    Optional<ModelRefresh.Decision> refresh)
    implements JobResult {

  /**
   * @param cutoffs per cutoff: customers, churn rate and the latest line any feature row used
   *     (always before the cutoff: the run checks it), e.g. "2024-03-01: 812 customers, 31.2 %
   *     churned, latest line 2024-02-29"
   * @param customers customers with lines in silver
   * @param trainingCustomers of them, the customers training used (all, or the {@code
   *     churn.training-customers} sample)
   * @param holdoutCutoff the latest labelled cutoff
   * @param trainRows rows of the earlier cutoffs
   * @param holdoutRows rows of the holdout cutoff
   * @param candidates holdout PR AUC and ROC AUC of each candidate and baseline
   * @param holdoutPrAuc the chosen model's holdout PR AUC
   * @param holdoutRocAuc its ROC AUC
   * @param brier its calibrated Brier score on the evaluation half of the holdout
   * @param calibrationError its expected calibration error over deciles, same half
   */
  public record Training(
      String cutoffs,
      long customers,
      long trainingCustomers,
      LocalDate holdoutCutoff,
      long trainRows,
      long holdoutRows,
      String candidates,
      double holdoutPrAuc,
      double holdoutRocAuc,
      double brier,
      double calibrationError) {}

  /**
   * @param asOfDate the date scored (lines strictly before it)
   * @param customers customers scored
   * @param meanProbability their mean calibrated churn probability
   */
  public record Scoring(LocalDate asOfDate, long customers, double meanProbability) {}

  @Override
  public long inputRows() {
    return training.map(t -> t.trainRows() + t.holdoutRows()).orElse(0L)
        + scoring.map(Scoring::customers).orElse(0L);
  }

  @Override
  public long outputRows() {
    return scoring.map(Scoring::customers).orElse(0L);
  }
}
