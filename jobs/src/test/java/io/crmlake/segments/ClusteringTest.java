package io.crmlake.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.testing.SparkTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.clustering.KMeansModel;
import org.apache.spark.ml.evaluation.ClusteringEvaluator;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * K selection fits its trials side by side ({@code segments.kmeans.parallelism}); every trial is
 * the same Spark work as alone, so one thread and three give the same trials, silhouettes, costs
 * and choice, bit for bit. Each trial runs in one task ({@link SampleKMeans}), checked against
 * MLlib: its silhouette against {@code ClusteringEvaluator} on the same assignments, its clustering
 * against {@code KMeans} on the same sample.
 *
 * <p>Silhouette by hand, squared Euclidean, points 0 and 2 in cluster 0 and 10 alone in cluster 1:
 * point 0 has a = 4 (to 2) and b = 100 (to 10), s = 1 − 4/100 = 0.96; point 2 has a = 4, b = 64, s
 * = 1 − 4/64 = 0.9375; point 10 is alone, s = 0. Mean (0.96 + 0.9375 + 0)/3 = 0.6325.
 */
class ClusteringTest extends SparkTestBase {
  @Test
  void silhouetteByHand() {
    double[][] x = {{0}, {2}, {10}};
    assertEquals(0.6325, SampleKMeans.silhouette(x, new int[] {0, 0, 1}, 2), 1e-12);
    assertEquals(0.6325, SampleKMeans.silhouette(x, new int[] {1, 1, 0}, 3), 1e-12, "empty 2");
    assertTrue(Double.isNaN(SampleKMeans.silhouette(x, new int[] {1, 1, 1}, 3)), "one cluster");
  }

  @Test
  void silhouetteIsSparksClusteringEvaluator() {
    Random random = new Random(5);
    int n = 500;
    double[][] x = new double[n][];
    int[] cluster = new int[n];
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      // cluster 4 holds one point; cluster 3 stays empty
      cluster[i] = i == 0 ? 4 : random.nextInt(3);
      x[i] =
          new double[] {
            cluster[i] * 2 + random.nextGaussian(), random.nextGaussian(), 3 * random.nextDouble()
          };
      rows.add(RowFactory.create(Vectors.dense(x[i]), (double) cluster[i]));
    }
    StructType schema =
        new StructType()
            .add("features", SQLDataTypes.VectorType())
            .add("prediction", DataTypes.DoubleType);
    double spark = new ClusteringEvaluator().evaluate(this.spark.createDataFrame(rows, schema));
    assertEquals(spark, SampleKMeans.silhouette(x, cluster, 5), 1e-9);
  }

  @Test
  void aTrialFindsMllibsClusters() {
    Dataset<Row> features = planted();
    SegmentsSettings.KMeansSettings s = settings(2, 5, 2, 1);
    Dataset<Row> scaled =
        new Pipeline()
            .setStages(Clustering.prefix(s.features()).toArray(new PipelineStage[0]))
            .fit(features)
            .transform(features)
            .select(Clustering.SCALED)
            .cache();
    List<Row> points = scaled.collectAsList();
    SampleKMeans.Score trial = SampleKMeans.trial(points.iterator(), 3, 3000L, 20);
    KMeansModel mllib = Clustering.kmeans(3, 3000L, 20).fit(scaled);
    double cost = mllib.summary().trainingCost();
    assertEquals(cost, trial.cost(), 1e-9 * cost, "the same three planted groups");
    double silhouette =
        new ClusteringEvaluator()
            .setFeaturesCol(Clustering.SCALED)
            .setPredictionCol(Clustering.PREDICTION)
            .evaluate(mllib.transform(scaled));
    assertEquals(silhouette, trial.silhouette(), 1e-9);
    assertTrue(Double.isNaN(SampleKMeans.trial(points.subList(0, 2).iterator(), 3, 1L, 20).cost()));
  }

  @Test
  void trialsDoNotDependOnTheParallelism() {
    Dataset<Row> features = planted();
    List<Clustering.Selection> selections = new ArrayList<>();
    for (int parallelism : new int[] {1, 3}) {
      selections.add(Clustering.select(features, 600, settings(2, 5, 2, parallelism)));
    }
    assertEquals(8, selections.get(0).trials().size(), "K 2..5, two seeds each");
    assertEquals(selections.get(0).trials(), selections.get(1).trials());
    assertEquals(selections.get(0).best(), selections.get(1).best());
    assertEquals(3, selections.get(0).best().k(), "the three planted groups");
  }

  private static SegmentsSettings.KMeansSettings settings(
      int kMin, int kMax, int seeds, int parallelism) {
    return new SegmentsSettings.KMeansSettings(
        List.of("recency_days", "frequency", "monetary"),
        kMin,
        kMax,
        seeds,
        20,
        100_000,
        parallelism,
        new io.crmlake.common.run.ModelRefresh("KMeans clusters", "segments.kmeans", 0, false),
        Optional.empty());
  }

  /** 600 customers in three planted groups: recent and frequent, middling, lapsed. */
  private Dataset<Row> planted() {
    StructType schema =
        new StructType()
            .add("customer_id", DataTypes.StringType)
            .add("recency_days", DataTypes.IntegerType)
            .add("frequency", DataTypes.LongType)
            .add("monetary", DataTypes.DoubleType);
    Random random = new Random(11);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      int group = i % 3; // three planted groups: recent and frequent, middling, lapsed
      rows.add(
          RowFactory.create(
              "c" + i,
              10 + 150 * group + random.nextInt(30),
              (long) (12 - 5 * group + random.nextInt(3)),
              400.0 / (1 + group) + random.nextInt(50)));
    }
    return spark.createDataFrame(rows, schema);
  }
}
