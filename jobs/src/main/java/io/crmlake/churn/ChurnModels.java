package io.crmlake.churn;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.stddev_samp;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.crmlake.churn.ChurnSettings.Candidate;
import io.crmlake.churn.ChurnSettings.Grid;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.classification.GBTClassificationModel;
import org.apache.spark.ml.classification.GBTClassifier;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.classification.RandomForestClassificationModel;
import org.apache.spark.ml.classification.RandomForestClassifier;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.regression.IsotonicRegression;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The churn classifiers as Spark ML pipelines (feature assembler + classifier, then an isotonic
 * calibration stage), their hyper-parameter grids, class weights and feature importances (the
 * per-customer reasons are {@link ChurnReasons}). Functions of datasets: training and scoring run
 * on the executors.
 */
public final class ChurnModels {
  private ChurnModels() {}

  static final String LABEL = "churned";
  static final String WEIGHT = "weight";
  static final String VECTOR = "features";

  /** The classifier's churn score: P(churned) before calibration. */
  static final String SCORE = "churn_score";

  /** The calibrated probability. */
  static final String PROBABILITY = "churn_probability";

  /** The hyper-parameter combinations tried for a candidate. */
  static List<Map<String, Object>> grid(Candidate c, Grid g) {
    List<Map<String, Object>> out = new ArrayList<>();
    switch (c) {
      case LOGISTIC -> g.logisticRegParam().forEach(r -> out.add(Map.of("regParam", r)));
      case RANDOM_FOREST -> {
        for (int n : g.forestNumTrees()) {
          for (int d : g.forestMaxDepth()) {
            out.add(ordered("numTrees", n, "maxDepth", d));
          }
        }
      }
      case GBT -> {
        for (int n : g.gbtMaxIter()) {
          for (int d : g.gbtMaxDepth()) {
            for (double step : g.gbtStepSize()) {
              out.add(ordered("maxIter", n, "maxDepth", d, "stepSize", step));
            }
          }
        }
      }
    }
    return out;
  }

  /** A grid point with its parameters in the order given: {@code name, value, name, value, …}. */
  private static Map<String, Object> ordered(Object... namesAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      m.put((String) namesAndValues[i], namesAndValues[i + 1]);
    }
    return m;
  }

  /** Fits assembler + classifier on rows with the features, {@code churned} and {@code weight}. */
  static PipelineModel fit(Candidate c, Map<String, Object> p, Dataset<Row> train, long seed) {
    PipelineStage classifier =
        switch (c) {
          case LOGISTIC ->
              new LogisticRegression()
                  .setRegParam((Double) p.get("regParam"))
                  .setElasticNetParam(0)
                  .setMaxIter(200)
                  .setFeaturesCol(VECTOR)
                  .setLabelCol(LABEL)
                  .setWeightCol(WEIGHT);
          case RANDOM_FOREST ->
              new RandomForestClassifier()
                  .setNumTrees((Integer) p.get("numTrees"))
                  .setMaxDepth((Integer) p.get("maxDepth"))
                  .setSeed(seed)
                  .setFeaturesCol(VECTOR)
                  .setLabelCol(LABEL)
                  .setWeightCol(WEIGHT);
          case GBT ->
              new GBTClassifier()
                  .setMaxIter((Integer) p.get("maxIter"))
                  .setMaxDepth((Integer) p.get("maxDepth"))
                  .setStepSize((Double) p.get("stepSize"))
                  .setSeed(seed)
                  .setFeaturesCol(VECTOR)
                  .setLabelCol(LABEL)
                  .setWeightCol(WEIGHT);
        };
    VectorAssembler assembler =
        new VectorAssembler()
            .setInputCols(ChurnFeatures.NAMES.toArray(new String[0]))
            .setOutputCol(VECTOR);
    return new Pipeline().setStages(new PipelineStage[] {assembler, classifier}).fit(train);
  }

  /** The churn score column of a fitted classifier's output. */
  static Column score() {
    return org.apache.spark.ml.functions.vector_to_array(col("probability"), "float64").getItem(1);
  }

  /**
   * Adds {@code weight}: with {@code balance}, n / (2 × count of the row's class), so both classes
   * weigh the same in total; else 1.
   */
  static Dataset<Row> weighted(Dataset<Row> train, boolean balance) {
    if (!balance) {
      return train.withColumn(WEIGHT, lit(1.0));
    }
    Row counts = train.agg(count(lit(1)), sum(col(LABEL))).first();
    double n = counts.getLong(0);
    double pos = counts.getDouble(1);
    double wPos = n / (2 * pos);
    double wNeg = n / (2 * (n - pos));
    return train.withColumn(WEIGHT, when(col(LABEL).equalTo(1.0), wPos).otherwise(wNeg));
  }

  /** Appends an isotonic calibration of the classifier's P(churned), fitted on {@code data}. */
  static PipelineModel calibrate(PipelineModel classifier, Dataset<Row> data) {
    IsotonicRegression iso =
        new IsotonicRegression()
            .setFeaturesCol("probability")
            .setFeatureIndex(1)
            .setLabelCol(LABEL)
            .setPredictionCol(PROBABILITY);
    return new Pipeline().setStages(new PipelineStage[] {classifier, iso}).fit(data);
  }

  /** An isotonic calibration of a plain score column (the baselines). */
  static PipelineModel calibrateScore(Dataset<Row> data) {
    return new Pipeline()
        .setStages(
            new PipelineStage[] {
              new IsotonicRegression()
                  .setFeaturesCol(SCORE)
                  .setLabelCol(LABEL)
                  .setPredictionCol(PROBABILITY)
            })
        .fit(data);
  }

  /** The classifier inside a (possibly calibrated) churn pipeline. */
  @SuppressWarnings("unchecked")
  static ProbabilisticClassificationModel<Vector, ?> classifier(PipelineModel model) {
    for (Transformer t : model.stages()) {
      if (t instanceof PipelineModel inner) {
        return classifier(inner);
      }
      if (t instanceof ProbabilisticClassificationModel<?, ?> c) {
        return (ProbabilisticClassificationModel<Vector, ?>) c;
      }
    }
    throw new IllegalArgumentException("no classifier in the churn pipeline " + model.uid());
  }

  /** The assembler's input columns: the features the model was trained on. */
  static List<String> featuresOf(PipelineModel model) {
    for (Transformer t : model.stages()) {
      if (t instanceof PipelineModel inner) {
        return featuresOf(inner);
      }
      if (t instanceof VectorAssembler a) {
        return List.of(a.getInputCols());
      }
    }
    throw new IllegalArgumentException("no feature assembler in the churn pipeline " + model.uid());
  }

  /**
   * Importance of each feature (in {@link ChurnFeatures#NAMES} order): MLlib's impurity importance
   * for forests and boosted trees; |coefficient| × the feature's standard deviation on the training
   * rows for logistic regression.
   */
  static double[] importance(PipelineModel model, Dataset<Row> train) {
    ProbabilisticClassificationModel<Vector, ?> c = classifier(model);
    if (c instanceof RandomForestClassificationModel rf) {
      return rf.featureImportances().toArray();
    }
    if (c instanceof GBTClassificationModel gbt) {
      return gbt.featureImportances().toArray();
    }
    LogisticRegressionModel lr = (LogisticRegressionModel) c;
    double[] coef = lr.coefficients().toArray();
    Row sd =
        train
            .agg(
                stddev_samp(ChurnFeatures.NAMES.get(0)),
                ChurnFeatures.NAMES.stream()
                    .skip(1)
                    .map(f -> stddev_samp(f))
                    .toArray(Column[]::new))
            .first();
    double[] out = new double[coef.length];
    for (int i = 0; i < coef.length; i++) {
      out[i] = Math.abs(coef[i]) * (sd.isNullAt(i) ? 0 : sd.getDouble(i));
    }
    return out;
  }

  static String importanceMethod(PipelineModel model) {
    return classifier(model) instanceof LogisticRegressionModel
        ? "abs_coefficient_x_std"
        : "impurity";
  }

  /** Indices of the {@code k} most important features, most important first. */
  static int[] top(double[] importance, int k) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < importance.length; i++) {
      idx.add(i);
    }
    idx.sort(Comparator.comparingDouble((Integer i) -> -importance[i]).thenComparing(i -> i));
    return idx.stream().limit(k).mapToInt(Integer::intValue).toArray();
  }
}
