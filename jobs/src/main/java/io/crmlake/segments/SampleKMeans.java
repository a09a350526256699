package io.crmlake.segments;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.commons.math3.exception.MathIllegalArgumentException;
import org.apache.commons.math3.exception.MathIllegalStateException;
import org.apache.commons.math3.ml.clustering.CentroidCluster;
import org.apache.commons.math3.ml.clustering.Clusterable;
import org.apache.commons.math3.ml.clustering.KMeansPlusPlusClusterer;
import org.apache.commons.math3.ml.distance.EuclideanDistance;
import org.apache.commons.math3.random.Well19937c;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;

/**
 * One K-selection trial inside one Spark task: k-means++ and Lloyd iterations (Commons Math's
 * {@link KMeansPlusPlusClusterer}) over the selection sample, scored by the silhouette and the
 * within-cluster sum of squares. The sample is bounded by {@code segments.kmeans.sample-size}, so
 * the task's memory is too; MLlib's distributed KMeans would spend a Spark job per iteration on it
 * (about 36 per trial), which on a sample of this size is nearly all scheduling.
 */
final class SampleKMeans {
  private SampleKMeans() {}

  /** Silhouette (NaN with fewer than two non-empty clusters) and cost of one trial. */
  record Score(double silhouette, double cost) {}

  private record Point(int index, double[] x) implements Clusterable {
    @Override
    public double[] getPoint() {
      return x;
    }
  }

  /**
   * Clusters the vectors of the rows' first column with {@code k} centres (k-means++ seeded by
   * {@code seed}, at most {@code maxIter} iterations). k-means++ picks centres by position, so the
   * caller passes the rows in a fixed order (by customer id) to make the trial reproducible.
   */
  static Score trial(Iterator<Row> rows, int k, long seed, int maxIter) {
    List<Point> points = new ArrayList<>();
    while (rows.hasNext()) {
      Vector v = rows.next().getAs(0);
      points.add(new Point(points.size(), v.toArray()));
    }
    List<CentroidCluster<Point>> clusters;
    try {
      clusters =
          new KMeansPlusPlusClusterer<Point>(
                  k, maxIter, new EuclideanDistance(), new Well19937c(seed))
              .cluster(points);
    } catch (MathIllegalArgumentException | MathIllegalStateException e) {
      return new Score(Double.NaN, Double.NaN); // fewer points than K, or no way to fill a cluster
    }
    double[][] x = new double[points.size()][];
    int[] cluster = new int[points.size()];
    double cost = 0;
    for (int c = 0; c < clusters.size(); c++) {
      double[] centre = clusters.get(c).getCenter().getPoint();
      for (Point p : clusters.get(c).getPoints()) {
        x[p.index()] = p.x();
        cluster[p.index()] = c;
        cost += squaredDistance(p.x(), centre);
      }
    }
    return new Score(silhouette(x, cluster, clusters.size()), cost);
  }

  /**
   * The mean silhouette with squared Euclidean distance, as Spark's {@code ClusteringEvaluator}
   * defines it: a point's mean squared distance to a cluster follows from the cluster's count, sum
   * and sum of squared norms, so this is linear in points × clusters. A point alone in its cluster
   * scores 0; fewer than two non-empty clusters give NaN (Spark refuses them).
   *
   * @param cluster each point's cluster in [0, k)
   */
  static double silhouette(double[][] x, int[] cluster, int k) {
    int d = x.length == 0 ? 0 : x[0].length;
    long[] n = new long[k];
    double[][] sum = new double[k][d];
    double[] sumSquares = new double[k];
    for (int i = 0; i < x.length; i++) {
      int c = cluster[i];
      n[c]++;
      sumSquares[c] += dot(x[i], x[i]);
      for (int j = 0; j < d; j++) {
        sum[c][j] += x[i][j];
      }
    }
    int nonEmpty = 0;
    for (long count : n) {
      nonEmpty += count > 0 ? 1 : 0;
    }
    if (nonEmpty < 2) {
      return Double.NaN;
    }
    double total = 0;
    for (int i = 0; i < x.length; i++) {
      int own = cluster[i];
      if (n[own] == 1) {
        continue; // silhouette 0
      }
      double norm = dot(x[i], x[i]);
      double a = meanSquaredDistance(x[i], norm, n[own], sum[own], sumSquares[own]);
      a = a * n[own] / (n[own] - 1); // the point's own zero distance is not an average's term
      double b = Double.POSITIVE_INFINITY;
      for (int c = 0; c < k; c++) {
        if (c != own && n[c] > 0) {
          b = Math.min(b, meanSquaredDistance(x[i], norm, n[c], sum[c], sumSquares[c]));
        }
      }
      total += a < b ? 1 - a / b : a > b ? b / a - 1 : 0;
    }
    return total / x.length;
  }

  private static double meanSquaredDistance(
      double[] x, double norm, long n, double[] sum, double sumSquares) {
    return norm - 2 * dot(x, sum) / n + sumSquares / n;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      s += a[j] * b[j];
    }
    return s;
  }

  private static double squaredDistance(double[] a, double[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      double t = a[j] - b[j];
      s += t * t;
    }
    return s;
  }
}
