package io.crmlake.churn;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import io.crmlake.churn.ChurnEvaluation.Decile;
import io.crmlake.churn.ChurnEvaluation.Ranking;
import io.crmlake.churn.ChurnModelSelection.Tuned;
import io.crmlake.common.run.RunContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Every tuned candidate and both baselines measured on the holdout cutoff, by {@link #evaluate}
 * (the "calibration and evaluation" phase). The holdout's customers fall in two halves by id hash
 * ({@code churn.seed}); each candidate or baseline is calibrated (isotonic) on the calibration
 * half; its score's ranking (ROC and PR AUC), lift deciles and curves are measured on the whole
 * holdout, its calibrated probability's log loss, Brier score and reliability table on the
 * evaluation half. The baselines: {@code recency} (recency_days alone) and {@code p_alive} (1 −
 * BG/NBD P(alive) alone). Which candidate scores is {@link
 * ChurnModelSelection#chooseByHoldoutPrAuc}'s rule.
 *
 * @param calibrationRows holdout rows the calibrations are fitted on
 * @param evaluationRows holdout rows the calibrated probabilities are measured on
 * @param evaluated the candidates in {@code churn.candidates} order, then the baselines
 */
record ChurnHoldout(long calibrationRows, long evaluationRows, List<Evaluated> evaluated) {

  /** A trained candidate or baseline and its holdout figures. */
  record Evaluated(
      String candidate,
      boolean baseline,
      Map<String, String> params,
      Double gridPrAuc,
      Ranking ranking,
      double logLoss,
      double brier,
      List<Decile> deciles,
      List<Decile> calibration,
      Row[][] curves,
      PipelineModel model) {
    double calibrationError() {
      return ChurnEvaluation.expectedCalibrationError(calibration);
    }
  }

  /** The "calibration and evaluation" phase: the candidates first, then the baselines. */
  static ChurnHoldout evaluate(
      RunContext ctx, long seed, Dataset<Row> holdout, List<Tuned> candidates) {
    Column half = abs(xxhash64(col("customer_id"), lit(seed)).mod(2));
    Dataset<Row> calibrationHalf = ctx.persist(holdout.where(half.equalTo(0)));
    Dataset<Row> evaluationHalf = ctx.persist(holdout.where(half.equalTo(1)));
    long calibrationRows = calibrationHalf.count();
    long evaluationRows = evaluationHalf.count();
    List<Evaluated> evaluated = new ArrayList<>();
    for (Tuned t : candidates) {
      PipelineModel calibrated = ChurnModels.calibrate(t.model(), calibrationHalf);
      evaluated.add(
          measure(
              t.candidate().id,
              false,
              t.stringParams(),
              t.gridPrAuc(),
              t.model().transform(holdout).withColumn(ChurnModels.SCORE, ChurnModels.score()),
              calibrated.transform(evaluationHalf),
              calibrated));
    }
    for (Map.Entry<String, Column> b : baselines().entrySet()) {
      PipelineModel calibrated =
          ChurnModels.calibrateScore(calibrationHalf.withColumn(ChurnModels.SCORE, b.getValue()));
      evaluated.add(
          measure(
              b.getKey(),
              true,
              Map.of(),
              null,
              holdout.withColumn(ChurnModels.SCORE, b.getValue()),
              calibrated.transform(evaluationHalf.withColumn(ChurnModels.SCORE, b.getValue())),
              null));
    }
    return new ChurnHoldout(calibrationRows, evaluationRows, evaluated);
  }

  /** The baselines' scores, by name: higher = more likely churned. */
  static Map<String, Column> baselines() {
    Map<String, Column> baselines = new LinkedHashMap<>();
    baselines.put("recency", col("recency_days"));
    baselines.put("p_alive", lit(1.0).minus(col("p_alive")));
    return baselines;
  }

  /** Holdout PR AUC and ROC AUC of every candidate and baseline, e.g. "gbt: PR AUC 0.7001, …". */
  String summary() {
    List<String> lines = new ArrayList<>();
    for (Evaluated e : evaluated) {
      lines.add(
          String.format(
              Locale.ROOT,
              "%s: PR AUC %.4f, ROC AUC %.4f",
              e.candidate(),
              e.ranking().prAuc(),
              e.ranking().rocAuc()));
    }
    return String.join("; ", lines);
  }

  /**
   * One candidate's holdout figures: ranking and lift on the whole holdout; log loss, Brier and the
   * reliability table of the calibrated probability on the evaluation half.
   */
  private static Evaluated measure(
      String candidate,
      boolean baseline,
      Map<String, String> params,
      Double gridPrAuc,
      Dataset<Row> holdoutScored,
      Dataset<Row> evaluationCalibrated,
      PipelineModel calibrated) {
    Dataset<Row> scored = holdoutScored.select(ChurnModels.SCORE, ChurnModels.LABEL).cache();
    Dataset<Row> probs =
        evaluationCalibrated.select(ChurnModels.PROBABILITY, ChurnModels.LABEL).cache();
    try {
      Ranking ranking = ChurnEvaluation.ranking(scored, ChurnModels.SCORE, ChurnModels.LABEL);
      List<Decile> deciles = ChurnEvaluation.deciles(scored, ChurnModels.SCORE, ChurnModels.LABEL);
      Row losses =
          probs
              .agg(
                  ChurnEvaluation.logLoss(col(ChurnModels.PROBABILITY), col(ChurnModels.LABEL)),
                  ChurnEvaluation.brier(col(ChurnModels.PROBABILITY), col(ChurnModels.LABEL)))
              .first();
      List<Decile> calibration =
          ChurnEvaluation.deciles(probs, ChurnModels.PROBABILITY, ChurnModels.LABEL);
      return new Evaluated(
          candidate,
          baseline,
          params,
          gridPrAuc,
          ranking,
          losses.getDouble(0),
          losses.getDouble(1),
          deciles,
          calibration,
          ChurnEvaluation.curves(scored, ChurnModels.SCORE, ChurnModels.LABEL),
          calibrated);
    } finally {
      scored.unpersist(false);
      probs.unpersist(false);
    }
  }
}
