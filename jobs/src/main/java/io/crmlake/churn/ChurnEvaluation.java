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
import org.apache.spark.sql.RowFactory;
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
   * (threshold, recall, precision) of {@code score}, down-sampled as MLlib's {@link
   * BinaryClassificationMetrics} with {@link #CURVE_BINS} bins does it: the distinct scores,
   * highest first, in groups of ⌊distinct / bins⌋ (every score its own point below 2 per group),
   * each group a point at its lowest score, whose counts are exactly those at that threshold. MLlib
   * groups within the partitions of its sort, so its points move with the partitioning of the input
   * (a re-run over the same rows in other files would draw another curve); here a score's group
   * follows from its rank among all distinct scores alone. Only the groups' counts reach the
   * driver, about {@link #CURVE_BINS} to 2 × {@link #CURVE_BINS} rows whatever the data size.
   *
   * <p>The ROC curve starts at (0, 0) with threshold +∞ and ends at (1, 1) with threshold −∞; the
   * precision-recall curve starts at recall 0 with the first group's precision, threshold +∞.
   */
  public static Row[][] curves(Dataset<Row> scored, String score, String label) {
    Dataset<Row> byScore =
        scored
            .groupBy(col(score).cast("double").as("score"))
            .agg(
                sum(when(col(label).gt(0.5), 1L).otherwise(0L)).as("positives"),
                sum(when(col(label).gt(0.5), 0L).otherwise(1L)).as("negatives"))
            .orderBy(col("score").desc())
            .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
    try {
      long distinct = byScore.count();
      long grouping = distinct / CURVE_BINS < 2 ? 1 : distinct / CURVE_BINS;
      List<Tuple2<Long, Tuple2<Double, long[]>>> groups =
          byScore
              .javaRDD()
              .zipWithIndex()
              .mapToPair(
                  t ->
                      new Tuple2<>(
                          t._2() / grouping,
                          new Tuple2<>(
                              t._1().getDouble(0),
                              new long[] {t._1().getLong(1), t._1().getLong(2)})))
              .reduceByKey(
                  (a, b) ->
                      new Tuple2<>(
                          Math.min(a._1(), b._1()),
                          new long[] {a._2()[0] + b._2()[0], a._2()[1] + b._2()[1]}))
              .sortByKey()
              .collect();
      long positives = 0;
      long negatives = 0;
      for (Tuple2<Long, Tuple2<Double, long[]>> g : groups) {
        positives += g._2()._2()[0];
        negatives += g._2()._2()[1];
      }
      List<Row> roc = new ArrayList<>();
      List<Row> pr = new ArrayList<>();
      roc.add(RowFactory.create(Double.POSITIVE_INFINITY, 0.0, 0.0));
      long tp = 0;
      long fp = 0;
      for (Tuple2<Long, Tuple2<Double, long[]>> g : groups) {
        tp += g._2()._2()[0];
        fp += g._2()._2()[1];
        double threshold = g._2()._1();
        double recall = positives == 0 ? 0.0 : (double) tp / positives;
        double precision = tp + fp == 0 ? 1.0 : (double) tp / (tp + fp);
        roc.add(
            RowFactory.create(threshold, negatives == 0 ? 0.0 : (double) fp / negatives, recall));
        if (pr.isEmpty()) {
          pr.add(RowFactory.create(Double.POSITIVE_INFINITY, 0.0, precision));
        }
        pr.add(RowFactory.create(threshold, recall, precision));
      }
      roc.add(RowFactory.create(Double.NEGATIVE_INFINITY, 1.0, 1.0));
      return new Row[][] {roc.toArray(new Row[0]), pr.toArray(new Row[0])};
    } finally {
      byScore.unpersist(false);
    }
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
