package io.crmlake.churn;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.pow;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.mllib.evaluation.BinaryClassificationMetrics;
import org.apache.spark.mllib.rdd.RDDFunctions;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * Evaluation of churn scores against labels, as aggregations on the executors (only figures reach
 * the driver): ROC AUC and average precision (MLlib's {@link BinaryClassificationMetrics}; average
 * precision is Σ (R_k − R_{k−1}) P_k over its precision-recall curve, ties forming one threshold,
 * as scikit-learn's {@code average_precision_score}), log loss, Brier score, and per-decile lift,
 * capture and calibration.
 */
public final class ChurnEvaluation {
  private ChurnEvaluation() {}

  /** Ranking quality of {@code score} (higher = more likely churned) against {@code label}. */
  public record Ranking(double rocAuc, double prAuc) implements Serializable {}

  /** One decile (1 = the highest scores) of a ranking or of a calibration table. */
  public record Decile(
      int decile, long customers, long churners, double meanPredicted, double churnRate) {}

  public static Ranking ranking(Dataset<Row> scored, String score, String label) {
    Dataset<Row> pairs = scored.select(col(score).cast("double"), col(label).cast("double"));
    BinaryClassificationMetrics m = new BinaryClassificationMetrics(pairs);
    try {
      double roc = m.areaUnderROC();
      JavaRDD<Object> windows =
          RDDFunctions.fromRDD(m.pr(), scala.reflect.ClassTag$.MODULE$.apply(Tuple2.class))
              .sliding(2)
              .toJavaRDD();
      double ap =
          windows
              .map(
                  o -> {
                    Object[] w = (Object[]) o;
                    Tuple2<?, ?> a = (Tuple2<?, ?>) w[0];
                    Tuple2<?, ?> b = (Tuple2<?, ?>) w[1];
                    double dr = (Double) b._1() - (Double) a._1();
                    return dr * (Double) b._2();
                  })
              .fold(0.0, Double::sum);
      return new Ranking(roc, ap);
    } finally {
      m.unpersist();
    }
  }

  /** Points of the down-sampled holdout curves, kept in gold.churn_model_metrics. */
  public static final int CURVE_BINS = 100;

  /**
   * The ROC curve (threshold, false positive rate, true positive rate) and precision-recall curve
   * (threshold, recall, precision) of {@code score}, down-sampled by MLlib to about {@link
   * #CURVE_BINS} score bins, so only that many points reach the driver whatever the data size.
   */
  public static Row[][] curves(Dataset<Row> scored, String score, String label) {
    JavaRDD<Tuple2<Object, Object>> pairs =
        scored
            .select(col(score).cast("double"), col(label).cast("double"))
            .toJavaRDD()
            .map(r -> new Tuple2<>((Object) r.getDouble(0), (Object) r.getDouble(1)));
    BinaryClassificationMetrics m = new BinaryClassificationMetrics(pairs.rdd(), CURVE_BINS);
    try {
      // thresholds(), roc() and pr() are aligned: roc() adds (0, 0) in front and (1, 1) at the end;
      // pr() adds (0, first precision) in front.
      List<Object> thresholds = m.thresholds().toJavaRDD().collect();
      List<Tuple2<Object, Object>> roc = m.roc().toJavaRDD().collect();
      List<Tuple2<Object, Object>> pr = m.pr().toJavaRDD().collect();
      List<Row> rocRows = new ArrayList<>();
      List<Row> prRows = new ArrayList<>();
      for (int i = 0; i < roc.size(); i++) {
        double t = threshold(thresholds, i - 1);
        Tuple2<Object, Object> p = roc.get(i);
        rocRows.add(org.apache.spark.sql.RowFactory.create(t, p._1(), p._2()));
      }
      for (int i = 0; i < pr.size(); i++) {
        double t = threshold(thresholds, i - 1);
        Tuple2<Object, Object> p = pr.get(i);
        prRows.add(org.apache.spark.sql.RowFactory.create(t, p._1(), p._2()));
      }
      return new Row[][] {rocRows.toArray(new Row[0]), prRows.toArray(new Row[0])};
    } finally {
      m.unpersist();
    }
  }

  /** The threshold of curve point i + 1: +∞ before the first, −∞ after the last. */
  private static double threshold(List<Object> thresholds, int i) {
    if (i < 0) {
      return Double.POSITIVE_INFINITY;
    }
    return i < thresholds.size() ? (Double) thresholds.get(i) : Double.NEGATIVE_INFINITY;
  }

  /** Mean log loss of probabilities {@code p} (clipped to [1e-15, 1 − 1e-15]). */
  public static Column logLoss(Column p, Column label) {
    Column q = least(greatest(p, lit(1e-15)), lit(1 - 1e-15));
    return avg(
        label
            .multiply(log(q))
            .plus(lit(1).minus(label).multiply(log(lit(1).minus(q))))
            .multiply(-1));
  }

  /** Mean Brier score: mean squared difference of probability and outcome. */
  public static Column brier(Column p, Column label) {
    return avg(pow(p.minus(label), 2));
  }

  /**
   * Deciles of {@code score}, 1 holding the highest: the boundaries are approximate quantiles (on
   * the executors), and equal scores share a decile, so with many ties some deciles are empty.
   */
  public static Column decile(Dataset<Row> scored, String score) {
    double[] q =
        scored
            .stat()
            .approxQuantile(
                score, new double[] {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}, 1e-4);
    Column above = lit(0);
    for (double b : q) {
      above = above.plus(when(col(score).geq(b), 1).otherwise(0));
    }
    return lit(10).minus(above);
  }

  /** Customers, churners, mean score and churn rate per decile of {@code score}, top first. */
  public static List<Decile> deciles(Dataset<Row> scored, String score, String label) {
    List<Decile> out = new ArrayList<>();
    for (Row r :
        scored
            .withColumn("decile", decile(scored, score))
            .groupBy("decile")
            .agg(count(lit(1)).as("n"), sum(col(label)).as("pos"), avg(col(score)).as("mean_score"))
            .orderBy("decile")
            .collectAsList()) {
      long n = r.getLong(1);
      long pos = (long) r.getDouble(2);
      out.add(new Decile(r.getInt(0), n, pos, r.getDouble(3), (double) pos / n));
    }
    return out;
  }

  /** Expected calibration error over deciles: Σ n_d / N · |mean predicted − churn rate|. */
  public static double expectedCalibrationError(List<Decile> deciles) {
    long n = deciles.stream().mapToLong(Decile::customers).sum();
    double e = 0;
    for (Decile d : deciles) {
      e += (double) d.customers() / n * Math.abs(d.meanPredicted() - d.churnRate());
    }
    return e;
  }
}
