package io.crmlake.segments;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.crmlake.common.spark.Parallel;
import io.crmlake.segments.SegmentsSettings.KMeansSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.ml.clustering.KMeansModel;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * KMeans on behaviour features: log1p of each (negatives clipped to 0, missing = 0), standardized,
 * clustered. {@link #select} tries every K of the configured range with several seeds on a bounded
 * sample, each trial in one Spark task ({@link SampleKMeans}), and scores each by the silhouette;
 * {@link #fit} trains the whole pipeline (transform, scaler, KMeans) so a saved model assigns new
 * customers exactly as it assigned the old ones. Cluster labels come from the model's centres, so a
 * loaded model labels the same way.
 */
public final class Clustering {
  static final String VECTOR = "cluster_features";
  static final String SCALED = "cluster_features_scaled";
  static final String PREDICTION = "cluster_id";
  private static final double LABEL_Z = 0.5;

  private Clustering() {}

  /** Silhouette of one (K, seed) trial on the sample. */
  public record Trial(int k, long seed, double silhouette, double cost) {}

  /** All trials and the best (highest silhouette; ties: smaller K). */
  public record Selection(List<Trial> trials, Trial best, long sampleSize) {}

  /** The transform and scaling stages (no KMeans). */
  static List<PipelineStage> prefix(List<String> features) {
    StringBuilder sql = new StringBuilder("SELECT *");
    String[] logCols = new String[features.size()];
    for (int i = 0; i < features.size(); i++) {
      String f = features.get(i);
      logCols[i] = f + "__log";
      sql.append(
          String.format(
              ", ln(1 + greatest(coalesce(cast(%s AS double), 0d), 0d)) AS %s", f, logCols[i]));
    }
    sql.append(" FROM __THIS__");
    List<PipelineStage> stages = new ArrayList<>();
    stages.add(new SQLTransformer().setStatement(sql.toString()));
    stages.add(new VectorAssembler().setInputCols(logCols).setOutputCol(VECTOR));
    stages.add(
        new StandardScaler()
            .setInputCol(VECTOR)
            .setOutputCol(SCALED)
            .setWithMean(true)
            .setWithStd(true));
    return stages;
  }

  static KMeans kmeans(int k, long seed, int maxIter) {
    return new KMeans()
        .setK(k)
        .setSeed(seed)
        .setMaxIter(maxIter)
        .setFeaturesCol(SCALED)
        .setPredictionCol(PREDICTION);
  }

  /**
   * Tries K in [k-min, k-max] with {@code seeds} seeds each on a sample of at most {@code
   * sample-size} customers. The sample is transformed and scaled by the same stages as the final
   * model, cached, and each trial runs in one Spark task over all of it ({@link SampleKMeans}): one
   * Spark job per trial instead of one per KMeans iteration.
   */
  public static Selection select(Dataset<Row> features, long customers, KMeansSettings s) {
    double fraction = Math.min(1.0, (double) s.sampleSize() / Math.max(1, customers));
    Dataset<Row> ordered = canonical(features, customers);
    Dataset<Row> sample = fraction < 1.0 ? ordered.sample(false, fraction, 7L) : ordered;
    PipelineModel pre =
        new Pipeline().setStages(prefix(s.features()).toArray(new PipelineStage[0])).fit(sample);
    Dataset<Row> scaled =
        pre.transform(sample)
            .select(col(SCALED), col("customer_id"))
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long n = scaled.count();
      // All of the sample in one partition, in customer order: k-means++ picks its first centre
      // by position, so every trial and every re-run must see the rows in the same order.
      Dataset<Row> whole = scaled.coalesce(1).sortWithinPartitions("customer_id").select(SCALED);
      List<long[]> runs = new ArrayList<>();
      for (int k = s.kMin(); k <= s.kMax(); k++) {
        for (int i = 0; i < s.seeds(); i++) {
          runs.add(new long[] {k, 1000L * k + i});
        }
      }
      int maxIter = s.maxIter();
      List<Trial> trials =
          Parallel.map(
              runs,
              s.parallelism(),
              run -> {
                int k = (int) run[0];
                long seed = run[1];
                Tuple2<Double, Double> score =
                    whole
                        .mapPartitions(
                            (MapPartitionsFunction<Row, Tuple2<Double, Double>>)
                                rows -> {
                                  SampleKMeans.Score t = SampleKMeans.trial(rows, k, seed, maxIter);
                                  return List.of(new Tuple2<>(t.silhouette(), t.cost())).iterator();
                                },
                            Encoders.tuple(Encoders.DOUBLE(), Encoders.DOUBLE()))
                        .first();
                return new Trial(k, seed, score._1(), score._2());
              });
      Trial best = null;
      for (Trial t : trials) {
        if (!Double.isNaN(t.silhouette()) && (best == null || t.silhouette() > best.silhouette())) {
          best = t;
        }
      }
      if (best == null) {
        throw new IllegalStateException(
            "no KMeans trial produced two or more clusters on " + n + " customers");
      }
      return new Selection(trials, best, n);
    } finally {
      scaled.unpersist();
    }
  }

  /**
   * The customers' features in partitions and an order that depend on the customers alone. KMeans'
   * initialization samples rows per partition, and its sums follow the rows' order; without this,
   * both follow the file layout of the tables read, and a re-run after a crash (the same rows in
   * other files) could move customers near a boundary to another cluster.
   *
   * <p>KMeans runs one Spark job per iteration: tiny partitions (a shuffle's 64 or 200 over a few
   * thousand customers) make every iteration pay for dozens of task launches, so this keeps about
   * 20,000 customers per partition, at most one partition per core.
   */
  static Dataset<Row> canonical(Dataset<Row> features, long rows) {
    int cores = features.sparkSession().sparkContext().defaultParallelism();
    int target = (int) Math.max(1, Math.min(cores, (rows + 19_999) / 20_000));
    return features
        .repartition(target, functions.col("customer_id"))
        .sortWithinPartitions("customer_id");
  }

  /** Fits transform + scaler + KMeans(k, seed) on all customers. */
  public static PipelineModel fit(
      Dataset<Row> features, List<String> names, Trial chosen, int maxIter) {
    List<PipelineStage> stages = prefix(names);
    stages.add(kmeans(chosen.k(), chosen.seed(), maxIter));
    return new Pipeline().setStages(stages.toArray(new PipelineStage[0])).fit(features);
  }

  /** The features a fitted pipeline clusters on. */
  public static List<String> featuresOf(PipelineModel model) {
    VectorAssembler assembler = (VectorAssembler) model.stages()[1];
    List<String> out = new ArrayList<>();
    for (String c : assembler.getInputCols()) {
      out.add(c.substring(0, c.length() - "__log".length()));
    }
    return out;
  }

  static KMeansModel kmeansOf(PipelineModel model) {
    return (KMeansModel) model.stages()[model.stages().length - 1];
  }

  /** Readable, unique label per cluster id, from its centre (standard scores per feature). */
  public static Map<Integer, String> labels(PipelineModel model) {
    List<String> features = featuresOf(model);
    Vector[] centers = kmeansOf(model).clusterCenters();
    Map<Integer, String> out = new HashMap<>();
    Set<String> used = new LinkedHashSet<>();
    for (int c = 0; c < centers.length; c++) {
      List<String> words = new ArrayList<>();
      for (int i = 0; i < features.size(); i++) {
        words.add(word(features.get(i), centers[c].apply(i)));
      }
      String label = String.join(", ", words);
      String unique = label;
      for (int n = 2; used.contains(unique); n++) {
        unique = label + " (" + n + ")";
      }
      used.add(unique);
      out.put(c, unique);
    }
    return out;
  }

  /** low / middle / high wording of a standardized centre coordinate. */
  static String word(String feature, double z) {
    String[] w =
        switch (feature) {
          case "recency_days" -> new String[] {"recent", "mid recency", "lapsed"};
          case "frequency", "purchase_days" ->
              new String[] {"infrequent", "mid frequency", "frequent"};
          case "monetary", "gross_sales" -> new String[] {"low spend", "mid spend", "high spend"};
          case "tenure_days" -> new String[] {"new", "mid tenure", "long-standing"};
          case "avg_order_value" ->
              new String[] {"small orders", "mid-size orders", "large orders"};
          case "avg_gap_days" -> new String[] {"short gaps", "mid gaps", "long gaps"};
          case "distinct_categories" -> new String[] {"narrow range", "mid range", "broad range"};
          case "return_rate" -> new String[] {"few returns", "some returns", "many returns"};
          default -> new String[] {"low " + feature, "mid " + feature, "high " + feature};
        };
    return z < -LABEL_Z ? w[0] : z > LABEL_Z ? w[2] : w[1];
  }

  /** Assigns cluster_id and cluster_label with a fitted pipeline. */
  public static Dataset<Row> assign(Dataset<Row> features, PipelineModel model) {
    Map<Integer, String> labels = labels(model);
    Column label = lit(null).cast("string");
    for (Map.Entry<Integer, String> e : labels.entrySet()) {
      label = when(col(PREDICTION).equalTo(e.getKey()), lit(e.getValue())).otherwise(label);
    }
    Dataset<Row> assigned = model.transform(features);
    List<String> keep = new ArrayList<>(List.of(features.columns()));
    Column[] cols = new Column[keep.size() + 2];
    for (int i = 0; i < keep.size(); i++) {
      cols[i] = col(keep.get(i));
    }
    cols[keep.size()] = col(PREDICTION).cast("int").as(PREDICTION);
    cols[keep.size() + 1] = label.as("cluster_label");
    return assigned.select(cols);
  }
}
