package io.crmlake.churn;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * The reasons of a customer's churn score, {@code gold.churn_scores.top_reasons}, from the model
 * itself: for each reason candidate (the card's {@code reasonFeatures}: the chosen model's {@code
 * churn.reasons.candidates} most important features), how much the churn score falls when that
 * feature alone is set to its training median (the card's {@code medians}); the {@code
 * churn.reasons.count} features with the largest positive fall, largest first (fewer when fewer
 * push the score up).
 */
final class ChurnReasons {
  private ChurnReasons() {}

  /**
   * The {@code top_reasons} column of a saved model's scored rows (feature vector in "features").
   */
  static Column topReasons(ChurnRegistry.Saved model, int count) {
    ChurnRegistry.Card card = model.card();
    return udf(model.pipeline(), card.medians(), card.reasonFeatures(), count)
        .apply(col(ChurnModels.VECTOR));
  }

  /** The reasons as a function of the feature vector: the names of up to {@code count} features. */
  static UserDefinedFunction udf(
      PipelineModel model, double[] medians, int[] candidates, int count) {
    ProbabilisticClassificationModel<Vector, ?> c = ChurnModels.classifier(model);
    String[] names = ChurnFeatures.NAMES.toArray(new String[0]);
    return functions.udf(
        (UDF1<Vector, String[]>)
            v -> {
              double p = c.predictProbability(v).apply(1);
              double[] x = v.toArray();
              double[] push = new double[candidates.length];
              for (int k = 0; k < candidates.length; k++) {
                int j = candidates[k];
                double keep = x[j];
                x[j] = medians[j];
                push[k] = p - c.predictProbability(new DenseVector(x)).apply(1);
                x[j] = keep;
              }
              List<Integer> order = new ArrayList<>();
              for (int k = 0; k < candidates.length; k++) {
                if (push[k] > 1e-9) {
                  order.add(k);
                }
              }
              order.sort(Comparator.comparingDouble((Integer k) -> -push[k]));
              return order.stream()
                  .limit(count)
                  .map(k -> names[candidates[k]])
                  .toArray(String[]::new);
            },
        DataTypes.createArrayType(DataTypes.StringType));
  }
}
