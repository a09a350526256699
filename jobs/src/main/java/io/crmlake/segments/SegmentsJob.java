package io.crmlake.segments;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.percentile_approx;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.LakePaths;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Tables;
import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.RunContext;
import io.crmlake.features.CustomerFeatures;
import io.crmlake.segments.Clustering.Selection;
import io.crmlake.segments.Clustering.Trial;
import io.crmlake.segments.SegmentScheme.Split;
import java.io.IOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Customer segmentation: {@code silver.transactions} → {@code gold.customer_features}, {@code
 * gold.customer_segments}, {@code gold.segment_profiles}, {@code gold.cluster_selection}.
 *
 * <p>Run with {@code bin/crmlake segments [--set segments.as-of=2024-07-01]}. Features as of the
 * date ({@link CustomerFeatures}); RFM scores and the classes of every configured scheme ({@link
 * Rfm}, {@link SegmentScheme}); the value pyramid ({@link Pyramid}); KMeans clusters with K chosen
 * by silhouette, the model saved under {@code <lake>/models/segments/kmeans/<version>} ({@link
 * Clustering}). Each table's rows for the as-of date are replaced in one Delta commit; other dates
 * stay, and Delta keeps history. Settings that matter: {@code segments.as-of}, {@code
 * segments.schemes}, {@code segments.pyramid.*}, {@code segments.kmeans.*}.
 */
public final class SegmentsJob {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentsJob.class);
  static final String MODELS = "models/segments/kmeans";

  private final Lake lake;
  private final SegmentsSettings settings;

  public SegmentsJob(Lake lake, SegmentsSettings settings) {
    this.lake = lake;
    this.settings = settings;
  }

  public JobResult run(RunContext ctx) {
    Map<String, String> m = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    ctx.phase("customer features");
    Dataset<Row> tx = lake.read(Tables.TRANSACTIONS);
    LocalDate asOf = settings.asOf().orElseGet(() -> CustomerFeatures.defaultAsOf(tx));
    if (asOf == null) {
      throw new ConfigError("silver.transactions is empty: there are no customers to segment");
    }
    java.sql.Date asOfDate = java.sql.Date.valueOf(asOf);
    Dataset<Row> features =
        CustomerFeatures.compute(tx, asOf).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> segments = null;
    try {
      long customers = features.count();
      if (customers == 0) {
        throw new ConfigError(
            "no customer has a purchase before segments.as-of = " + asOf + ": nothing to segment");
      }
      m.put("as_of_date", asOf.toString());
      m.put("customers", String.valueOf(customers));
      m.put("features_ms", ms(t0));
      LOG.info("{} customers with purchases before {}", customers, asOf);

      long t1 = System.nanoTime();
      ctx.phase("RFM scores and classes");
      Rfm.Boundaries b = Rfm.boundaries(features, settings.quantileError());
      LOG.info("RFM score boundaries (20/40/60/80%): {}", b);
      List<String> warnings = Rfm.collapsed(b);
      warnings.forEach(LOG::warn);
      m.put("rfm_boundaries", b.toString());
      m.put("rfm_warnings", String.join(" | ", warnings));
      double[] mean = Rfm.splits(features, Split.MEAN, settings.quantileError());
      boolean median = settings.schemes().stream().anyMatch(s -> s.split() == Split.MEDIAN);
      double[] med = median ? Rfm.splits(features, Split.MEDIAN, settings.quantileError()) : mean;
      m.put("split_mean", Arrays.toString(mean));
      Dataset<Row> scored = Rfm.classify(Rfm.score(features, b), settings.schemes(), mean, med);

      ctx.phase("customer pyramid");
      Dataset<Row> valued = withPyramidValue(scored);
      double[] thresholds =
          Pyramid.thresholds(valued, "pyramid_value", settings.tiers(), settings.quantileError());
      m.put("pyramid_by", settings.pyramidBy().name().toLowerCase());
      m.put("pyramid_thresholds", Arrays.toString(thresholds));
      Dataset<Row> tiered =
          valued.withColumn(
              "pyramid_tier", Pyramid.tier(col("pyramid_value"), thresholds, settings.tiers()));
      m.put("rfm_ms", ms(t1));

      long t2 = System.nanoTime();
      ctx.phase("KMeans clusters");
      String version;
      PipelineModel model;
      Dataset<Row> selection = null;
      if (settings.kmeans().retrain()) {
        Selection sel = Clustering.select(features, customers, settings.kmeans());
        version = ctx.runId().substring(ctx.job().length() + 1);
        model =
            Clustering.fit(
                Clustering.compact(features, customers),
                settings.kmeans().features(),
                sel.best(),
                settings.kmeans().maxIter());
        String path = modelsDir() + "/" + version;
        try {
          model.write().overwrite().save(path);
        } catch (IOException e) {
          throw new IllegalStateException("cannot save the KMeans model to " + path + ": " + e, e);
        }
        selection = selectionRows(sel, version, asOfDate);
        record(m, sel);
        LOG.info(
            "chose K = {} (silhouette {}, seed {}) on {} sampled customers; model {}",
            sel.best().k(),
            sel.best().silhouette(),
            sel.best().seed(),
            sel.sampleSize(),
            version);
      } else {
        version = settings.kmeans().modelVersion().orElseGet(this::latestModel);
        model = loadModel(version);
        m.put("k", String.valueOf(Clustering.kmeansOf(model).getK()));
        LOG.info("assigning clusters with saved model {}", version);
      }
      m.put("model_version", version);
      m.put("cluster_labels", new TreeMap<>(Clustering.labels(model)).toString());
      segments =
          output(Clustering.assign(tiered, model), version).persist(StorageLevel.MEMORY_AND_DISK());
      segments.count();
      m.put("kmeans_ms", ms(t2));

      // Every computation has succeeded: now the writes, one Delta commit per table.
      long t3 = System.nanoTime();
      ctx.phase("write features, segments and profiles");
      List<String> dims = new ArrayList<>();
      settings.schemes().forEach(s -> dims.add(s.column()));
      dims.add("pyramid_tier");
      dims.add("cluster_label");
      lake.replacePartition(Tables.CUSTOMER_FEATURES, features, "as_of_date", asOf);
      lake.replacePartition(Tables.CUSTOMER_SEGMENTS, segments, "as_of_date", asOf);
      lake.replacePartition(
          Tables.SEGMENT_PROFILES, profiles(segments, dims, asOfDate), "as_of_date", asOf);
      if (selection != null) {
        lake.append(Tables.CLUSTER_SELECTION, selection);
      }
      m.put("write_ms", ms(t3));
      return new JobResult(customers, customers, 0, 0, m);
    } finally {
      features.unpersist();
      if (segments != null) {
        segments.unpersist();
      }
    }
  }

  /** Adds pyramid_value: net spend, or gold.clv's clv (0 for customers without one). */
  private Dataset<Row> withPyramidValue(Dataset<Row> scored) {
    if (settings.pyramidBy() == SegmentsSettings.PyramidBy.MONETARY) {
      return scored.withColumn("pyramid_value", col("monetary"));
    }
    if (!lake.exists(Tables.CLV)) {
      throw new ConfigError(
          "segments.pyramid.by = clv needs gold.clv: run `bin/crmlake clv` first, or set"
              + " segments.pyramid.by = monetary");
    }
    Dataset<Row> clv =
        lake.read(Tables.CLV).select(col("customer_id"), col("clv").as("pyramid_value"));
    return scored
        .join(clv, "customer_id", "left")
        .withColumn("pyramid_value", coalesce(col("pyramid_value"), lit(0.0)));
  }

  private Dataset<Row> output(Dataset<Row> assigned, String version) {
    List<Column> cols =
        new ArrayList<>(
            List.of(
                col("customer_id"),
                col("as_of_date"),
                col("recency_days"),
                col("frequency"),
                col("monetary"),
                col("r_score"),
                col("f_score"),
                col("m_score"),
                col("rfm_cell")));
    settings.schemes().forEach(s -> cols.add(col(s.column())));
    cols.add(col("pyramid_tier"));
    cols.add(col("pyramid_value"));
    cols.add(col(Clustering.PREDICTION));
    cols.add(col("cluster_label"));
    cols.add(lit(version).as("model_version"));
    return assigned.select(cols.toArray(new Column[0]));
  }

  /**
   * Per dimension (scheme column, pyramid_tier, cluster_label) and segment: customers and their
   * share, revenue (net spend) and its share, mean and median recency, frequency and monetary.
   */
  public static Dataset<Row> profiles(
      Dataset<Row> segments, List<String> dimensions, java.sql.Date asOf) {
    Row totals = segments.agg(count(lit(1)), sum(col("monetary"))).first();
    double customers = totals.getLong(0);
    double revenue = totals.isNullAt(1) ? 0 : totals.getDouble(1);
    // One row per customer and dimension, then one aggregation for all dimensions.
    List<Column> pairs = new ArrayList<>();
    for (String d : dimensions) {
      pairs.add(
          struct(
              lit(d.equals("cluster_label") ? "cluster" : d).as("dimension"),
              col(d).cast("string").as("segment")));
    }
    return segments
        .select(
            col("recency_days"),
            col("frequency"),
            col("monetary"),
            explode(array(pairs.toArray(new Column[0]))).as("d"))
        .groupBy(col("d.dimension").as("dimension"), col("d.segment").as("segment"))
        .agg(
            count(lit(1)).as("customers"),
            sum(col("monetary")).as("revenue"),
            avg(col("recency_days")).as("mean_recency_days"),
            percentile_approx(col("recency_days"), lit(0.5), lit(10000))
                .cast("double")
                .as("median_recency_days"),
            avg(col("frequency")).as("mean_frequency"),
            percentile_approx(col("frequency"), lit(0.5), lit(10000))
                .cast("double")
                .as("median_frequency"),
            avg(col("monetary")).as("mean_monetary"),
            percentile_approx(col("monetary"), lit(0.5), lit(10000)).as("median_monetary"))
        .select(
            lit(asOf).as("as_of_date"),
            col("dimension"),
            col("segment"),
            col("customers"),
            col("customers").divide(lit(customers)).as("customer_share"),
            col("revenue"),
            revenue == 0
                ? lit(null).cast("double").as("revenue_share")
                : col("revenue").divide(lit(revenue)).as("revenue_share"),
            col("mean_recency_days"),
            col("median_recency_days"),
            col("mean_frequency"),
            col("median_frequency"),
            col("mean_monetary"),
            col("median_monetary"));
  }

  private static void record(Map<String, String> m, Selection sel) {
    Map<Integer, Double> bestPerK = new TreeMap<>();
    for (Trial t : sel.trials()) {
      if (!Double.isNaN(t.silhouette())) {
        bestPerK.merge(t.k(), t.silhouette(), Math::max);
      }
    }
    List<String> parts = new ArrayList<>();
    bestPerK.forEach((k, s) -> parts.add(k + "=" + String.format("%.4f", s)));
    m.put("silhouette_by_k", String.join(", ", parts));
    m.put("k", String.valueOf(sel.best().k()));
    m.put("silhouette", String.format("%.4f", sel.best().silhouette()));
    m.put("seed", String.valueOf(sel.best().seed()));
    m.put("selection_sample", String.valueOf(sel.sampleSize()));
  }

  private Dataset<Row> selectionRows(Selection sel, String version, java.sql.Date asOf) {
    StructType schema =
        new StructType()
            .add("model_version", DataTypes.StringType)
            .add("as_of_date", DataTypes.DateType)
            .add("k", DataTypes.IntegerType)
            .add("seed", DataTypes.LongType)
            .add("silhouette", DataTypes.DoubleType)
            .add("cost", DataTypes.DoubleType)
            .add("sample_size", DataTypes.LongType)
            .add("chosen", DataTypes.BooleanType);
    List<Row> rows = new ArrayList<>();
    for (Trial t : sel.trials()) {
      rows.add(
          RowFactory.create(
              version,
              asOf,
              t.k(),
              t.seed(),
              t.silhouette(),
              t.cost(),
              sel.sampleSize(),
              t.equals(sel.best())));
    }
    return lake.spark().createDataFrame(rows, schema);
  }

  private String modelsDir() {
    return lake.root() + "/" + MODELS;
  }

  private PipelineModel loadModel(String version) {
    String path = modelsDir() + "/" + version;
    Path p = new Path(path);
    try {
      FileSystem fs =
          LakePaths.fileSystem(p, lake.spark().sparkContext().hadoopConfiguration(), "lake.root");
      if (!fs.exists(p)) {
        throw ConfigError.invalid(
            "segments.kmeans.model-version",
            version,
            "must name a saved model under " + modelsDir());
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path + ": " + e, e);
    }
    return PipelineModel.load(path);
  }

  /** The newest saved model version (versions sort by time). */
  private String latestModel() {
    Path dir = new Path(modelsDir());
    FileSystem fs =
        LakePaths.fileSystem(dir, lake.spark().sparkContext().hadoopConfiguration(), "lake.root");
    try {
      String latest = null;
      if (fs.exists(dir)) {
        for (FileStatus s : fs.listStatus(dir)) {
          String name = s.getPath().getName();
          if (s.isDirectory() && (latest == null || name.compareTo(latest) > 0)) {
            latest = name;
          }
        }
      }
      if (latest == null) {
        throw new ConfigError(
            "segments.kmeans.retrain = false, but no saved model exists under "
                + dir
                + ": run segments with retrain = true first");
      }
      return latest;
    } catch (IOException e) {
      throw new IllegalStateException("cannot list models at " + dir + ": " + e, e);
    }
  }

  private static String ms(long since) {
    return String.valueOf((System.nanoTime() - since) / 1_000_000);
  }
}
