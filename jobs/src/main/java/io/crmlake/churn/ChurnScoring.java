package io.crmlake.churn;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.crmlake.churn.ChurnSettings.RiskBand;
import io.crmlake.clv.BgNbd;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.run.RunContext;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rows of {@code gold.churn_scores} ({@link #score}): every customer with a purchase in the
 * {@code churn.lookback-days} before an as-of date ({@code churn.score.as-of}, by default the day
 * after the last line), with the model's calibrated churn probability, risk band ({@code
 * churn.risk-bands}), decile, reasons ({@link ChurnReasons}) and lifecycle stage ({@link
 * Lifecycle}). {@link #run} is the "scoring" phase.
 */
final class ChurnScoring {
  private static final Logger LOG = LoggerFactory.getLogger(ChurnScoring.class);

  private ChurnScoring() {}

  /**
   * A scoring run's outcome.
   *
   * @param rows the scores, cached
   */
  record Scored(ChurnResult.Scoring summary, Dataset<Row> rows) {}

  /** The "scoring" phase; refuses (exit 2) an as-of date with no customer to score. */
  static Scored run(
      RunContext ctx, ChurnSettings settings, ChurnHistory history, ChurnRegistry.Saved model) {
    LocalDate asOf = settings.scoreAsOf().orElse(history.last().plusDays(1));
    Dataset<Row> scores = ctx.persist(score(settings, history.days(), asOf, model));
    Row totals = scores.agg(count(lit(1)), avg("churn_probability")).first();
    if (totals.getLong(0) == 0) {
      throw ConfigError.invalid(
          "churn.score.as-of",
          asOf,
          "has no customer with a purchase in the churn.lookback-days before it");
    }
    LOG.info(
        "{} customers scored as of {}: mean churn probability {}",
        totals.getLong(0),
        asOf,
        String.format(Locale.ROOT, "%.4f", totals.getDouble(1)));
    return new Scored(
        new ChurnResult.Scoring(asOf, totals.getLong(0), totals.getDouble(1)), scores);
  }

  /**
   * Scores the customers active as of {@code asOf}: calibrated probability, risk band, decile,
   * reasons and lifecycle stage, with the model's version: the columns of {@code
   * gold.churn_scores}.
   */
  static Dataset<Row> score(
      ChurnSettings settings, Dataset<Row> days, LocalDate asOf, ChurnRegistry.Saved model) {
    Dataset<Row> scored =
        model
            .pipeline()
            .transform(features(settings, days, asOf))
            .withColumn(ChurnModels.SCORE, ChurnModels.score())
            .withColumn("top_reasons", ChurnReasons.topReasons(model, settings.reasons()));
    Dataset<Row> withStages =
        scored.join(Lifecycle.stages(days, asOf, settings.lifecycle()), "customer_id");
    return withStages
        .withColumn("risk_decile", ChurnEvaluation.decile(withStages, ChurnModels.PROBABILITY))
        .select(
            col("customer_id"),
            lit(java.sql.Date.valueOf(asOf)).as("as_of_date"),
            col(ChurnModels.PROBABILITY),
            col(ChurnModels.SCORE),
            riskBand(settings.riskBands()).as("risk_band"),
            col("risk_decile").cast("int").as("risk_decile"),
            col("top_reasons"),
            col("lifecycle_stage"),
            col("left_stage"),
            col("churn_type"),
            col("recency_days").cast("int").as("recency_days"),
            col("purchase_days").cast("long").as("purchase_days"),
            col("tenure_days").cast("int").as("tenure_days"),
            col("p_alive"),
            col("expected_purchases"),
            lit(model.card().candidate()).as("model"),
            lit(model.card().modelVersion()).as("model_version"));
  }

  /** The features as of {@code asOf}, with a BG/NBD fit on the data before it. */
  static Dataset<Row> features(ChurnSettings settings, Dataset<Row> days, LocalDate asOf) {
    // From the configured starts, never from a training run's fit: a score-only run of the same
    // date must give the same scores as a train-and-score run.
    BgNbd bg = ChurnFeatures.fitBgNbd(days, asOf, settings.clv());
    LOG.debug("scoring as of {}: BG/NBD on the data before it: {}", asOf, bg);
    return ChurnFeatures.at(
        days,
        asOf,
        settings.lookbackDays(),
        bg,
        settings.horizonUnits(),
        settings.clv().timeUnit());
  }

  /** The band of the calibrated probability: the first band (from the top) it reaches. */
  static Column riskBand(List<RiskBand> bands) {
    Column band = null;
    for (RiskBand b : bands) {
      Column cond = col(ChurnModels.PROBABILITY).geq(b.minProbability());
      band = band == null ? when(cond, b.name()) : band.when(cond, b.name());
    }
    return band;
  }
}
