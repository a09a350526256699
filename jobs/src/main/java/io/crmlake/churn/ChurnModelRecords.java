package io.crmlake.churn;

import io.crmlake.churn.ChurnEvaluation.Decile;
import io.crmlake.churn.ChurnHoldout.Evaluated;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * What a training run records of its models, once the model is chosen: the rows of {@code
 * gold.churn_model_metrics} ({@link #metricRows}: every candidate and baseline) and {@code
 * gold.churn_feature_importance} ({@link #importanceRows}: every candidate), the card saved with
 * the chosen model ({@link #card}: training medians, reason features, holdout figures) and the
 * run's summary ({@link ChurnResult.Training}). Built by {@link #of} at the end of the "calibration
 * and evaluation" phase.
 */
final class ChurnModelRecords {
  private ChurnModelRecords() {}

  /** A training run's outcome: the model to save and score with, its summary and table rows. */
  record Trained(
      ChurnRegistry.Saved saved,
      ChurnResult.Training summary,
      List<Row> metricRows,
      List<Row> importanceRows) {}

  /** A candidate's feature importances, in {@link ChurnFeatures#NAMES} order. */
  record Importance(Evaluated candidate, double[] values) {}

  /**
   * The records of a training run.
   *
   * @param trainSet the weighted rows of the training cutoffs: medians and importances
   * @param chosen the model that scores, of {@code holdout.evaluated()}
   */
  static Trained of(
      String version,
      ChurnSettings settings,
      ChurnTrainingSet set,
      Dataset<Row> trainSet,
      ChurnHoldout holdout,
      Evaluated chosen) {
    double[] medians = medians(trainSet);
    Timestamp trainedAt = new Timestamp(System.currentTimeMillis());
    List<Importance> importances = importances(holdout.evaluated(), trainSet);
    double[] chosenImportance =
        importances.stream()
            .filter(i -> i.candidate() == chosen)
            .findFirst()
            .orElseThrow()
            .values();
    ChurnRegistry.Card card = card(version, settings, set, chosen, medians, chosenImportance);
    ChurnResult.Training summary =
        new ChurnResult.Training(
            set.balance().describe(),
            set.population().customers(),
            set.population().training(),
            set.holdoutCutoff(),
            set.balance().trainRows(),
            set.balance().holdoutRows(),
            holdout.summary(),
            chosen.ranking().prAuc(),
            chosen.ranking().rocAuc(),
            chosen.brier(),
            chosen.calibrationError());
    return new Trained(
        new ChurnRegistry.Saved(card, chosen.model()),
        summary,
        metricRows(version, settings, set, holdout, chosen, trainedAt),
        importanceRows(version, importances, chosen));
  }

  /** The training median of every feature (the reasons' reference point). */
  static double[] medians(Dataset<Row> trainSet) {
    double[][] q =
        trainSet
            .stat()
            .approxQuantile(ChurnFeatures.NAMES.toArray(new String[0]), new double[] {0.5}, 1e-3);
    double[] medians = new double[q.length];
    for (int i = 0; i < q.length; i++) {
      medians[i] = q[i][0];
    }
    return medians;
  }

  /** The importances of every candidate (not the baselines), in the order evaluated. */
  static List<Importance> importances(List<Evaluated> evaluated, Dataset<Row> trainSet) {
    List<Importance> out = new ArrayList<>();
    for (Evaluated e : evaluated) {
      if (!e.baseline()) {
        out.add(new Importance(e, ChurnModels.importance(e.model(), trainSet)));
      }
    }
    return out;
  }

  /** The rows of {@code gold.churn_feature_importance}: per candidate, its features by rank. */
  static List<Row> importanceRows(String version, List<Importance> importances, Evaluated chosen) {
    List<Row> rows = new ArrayList<>();
    for (Importance i : importances) {
      Evaluated e = i.candidate();
      double[] imp = i.values();
      int[] order = ChurnModels.top(imp, imp.length);
      for (int rank = 0; rank < order.length; rank++) {
        rows.add(
            RowFactory.create(
                version,
                e.candidate(),
                e == chosen,
                ChurnFeatures.NAMES.get(order[rank]),
                imp[order[rank]],
                rank + 1,
                ChurnModels.importanceMethod(e.model())));
      }
    }
    return rows;
  }

  /**
   * The rows of {@code gold.churn_model_metrics}: one per candidate and baseline, {@code chosen}
   * marking the model that scores. The class balance comes from the training set's per-cutoff
   * counts: no further pass over the rows.
   */
  static List<Row> metricRows(
      String version,
      ChurnSettings settings,
      ChurnTrainingSet set,
      ChurnHoldout holdout,
      Evaluated chosen,
      Timestamp trainedAt) {
    ChurnTrainingSet.Balance balance = set.balance();
    java.sql.Date[] trainCutoffs =
        set.trainCutoffs().stream().map(java.sql.Date::valueOf).toArray(java.sql.Date[]::new);
    List<Row> rows = new ArrayList<>();
    for (Evaluated e : holdout.evaluated()) {
      rows.add(
          RowFactory.create(
              version,
              e.candidate(),
              e.baseline() ? "baseline" : "model",
              e == chosen,
              scala.jdk.javaapi.CollectionConverters.asScala(e.params()),
              e.gridPrAuc(),
              e.ranking().rocAuc(),
              e.ranking().prAuc(),
              e.logLoss(),
              e.brier(),
              e.calibrationError(),
              decileRows(e.deciles(), balance.holdoutRate()),
              calibrationRows(e.calibration()),
              e.curves()[0],
              e.curves()[1],
              balance.trainRows(),
              balance.trainRate(),
              balance.holdoutRows(),
              balance.holdoutRate(),
              holdout.calibrationRows(),
              holdout.evaluationRows(),
              trainCutoffs,
              java.sql.Date.valueOf(set.holdoutCutoff()),
              settings.horizonDays(),
              settings.lookbackDays(),
              trainedAt));
    }
    return rows;
  }

  /** The chosen model's card: what scoring needs besides the pipeline, and its holdout figures. */
  static ChurnRegistry.Card card(
      String version,
      ChurnSettings settings,
      ChurnTrainingSet set,
      Evaluated chosen,
      double[] medians,
      double[] chosenImportance) {
    Map<String, Double> figures = new LinkedHashMap<>();
    figures.put("roc_auc", chosen.ranking().rocAuc());
    figures.put("pr_auc", chosen.ranking().prAuc());
    figures.put("log_loss", chosen.logLoss());
    figures.put("brier", chosen.brier());
    figures.put("calibration_error", chosen.calibrationError());
    return new ChurnRegistry.Card(
        version,
        chosen.candidate(),
        chosen.params(),
        ChurnFeatures.NAMES,
        ChurnFeatures.VERSION,
        medians,
        ChurnModels.top(chosenImportance, settings.reasonCandidates()),
        figures,
        set.trainCutoffs().stream().map(LocalDate::toString).toList(),
        set.holdoutCutoff().toString(),
        settings.horizonDays(),
        settings.lookbackDays(),
        settings.clv().timeUnit().name().toLowerCase(Locale.ROOT),
        settings.effective());
  }

  private static Row[] decileRows(List<Decile> deciles, double overall) {
    long churners = deciles.stream().mapToLong(Decile::churners).sum();
    List<Row> rows = new ArrayList<>();
    long captured = 0;
    for (Decile d : deciles) {
      captured += d.churners();
      rows.add(
          RowFactory.create(
              d.decile(),
              d.customers(),
              d.churners(),
              d.churnRate(),
              d.churnRate() / overall,
              churners == 0 ? 0.0 : (double) captured / churners));
    }
    return rows.toArray(new Row[0]);
  }

  private static Row[] calibrationRows(List<Decile> deciles) {
    return deciles.stream()
        .map(d -> RowFactory.create(d.decile(), d.customers(), d.meanPredicted(), d.churnRate()))
        .toArray(Row[]::new);
  }
}
