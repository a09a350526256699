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

import io.crmlake.clv.ClvTables;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.LakePaths;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.Outputs;
import io.crmlake.common.run.RunContext;
import io.crmlake.features.CustomerFeatures;
import io.crmlake.ingest.IngestTables;
import io.crmlake.segments.Clustering.Selection;
import io.crmlake.segments.Clustering.Trial;
import io.crmlake.segments.SegmentScheme.Split;
import java.io.IOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Customer segmentation: {@code silver.transactions} → {@code gold.customer_features}, {@code
 * gold.customer_segments}, {@code gold.segment_profiles}, {@code gold.cohort_retention} ({@link
 * Cohorts}), {@code gold.cluster_selection}.
 *
 * <p>Run with {@code bin/crmlake segments [--set segments.as-of=2024-07-01]}. Features as of the
 * date ({@link CustomerFeatures}); RFM scores and the classes of every configured scheme ({@link
 * Rfm}, {@link SegmentScheme}); the value pyramid ({@link Pyramid}); KMeans clusters with K chosen
 * by silhouette, the model saved under {@code <lake>/models/segments/kmeans/<version>} ({@link
 * Clustering}). Everything is computed first; then the model is saved and each table's rows for the
 * as-of date are replaced in one Delta commit ({@link io.crmlake.common.run.JobRunner}); other
 * dates stay, and Delta keeps history. Settings that matter: {@code segments.as-of}, {@code
 * segments.schemes}, {@code segments.pyramid.*}, {@code segments.kmeans.*}.
 */
public final class SegmentsJob implements Job<SegmentsResult> {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentsJob.class);
  static final String MODELS = "models/segments/kmeans";

  private final SegmentsSettings settings;

  public SegmentsJob(SegmentsSettings settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return "segments";
  }

  @Override
  public List<Table> outputs() {
    return SegmentsTables.ALL;
  }

  @Override
  public Optional<Table> mainInput() {
    return Optional.of(IngestTables.TRANSACTIONS);
  }

  @Override
  public Outputs<SegmentsResult> compute(RunContext ctx) {
    Lake lake = ctx.lake();
    ctx.phase("customer features");
    Dataset<Row> tx = lake.read(IngestTables.TRANSACTIONS);
    LocalDate asOf = settings.asOf().orElseGet(() -> CustomerFeatures.defaultAsOf(tx));
    if (asOf == null) {
      throw new ConfigError("silver.transactions is empty: there are no customers to segment");
    }
    java.sql.Date asOfDate = java.sql.Date.valueOf(asOf);
    Dataset<Row> features = ctx.persist(CustomerFeatures.compute(tx, asOf));
    long customers = features.count();
    if (customers == 0) {
      throw new ConfigError(
          "no customer has a purchase before segments.as-of = " + asOf + ": nothing to segment");
    }
    LOG.info("{} customers with purchases before {}", customers, asOf);

    ctx.phase("RFM scores and classes");
    Rfm.Boundaries b = Rfm.boundaries(features, settings.quantileError());
    LOG.info("RFM score boundaries (20/40/60/80%): {}", b);
    List<String> warnings = Rfm.collapsed(b);
    warnings.forEach(LOG::warn);
    double[] mean = Rfm.splits(features, Split.MEAN, settings.quantileError());
    boolean median = settings.schemes().stream().anyMatch(s -> s.split() == Split.MEDIAN);
    double[] med = median ? Rfm.splits(features, Split.MEDIAN, settings.quantileError()) : mean;
    Dataset<Row> scored = Rfm.classify(Rfm.score(features, b), settings.schemes(), mean, med);

    ctx.phase("customer pyramid");
    Dataset<Row> valued = withPyramidValue(lake, scored);
    double[] thresholds =
        Pyramid.thresholds(valued, "pyramid_value", settings.tiers(), settings.quantileError());
    Dataset<Row> tiered =
        valued.withColumn(
            "pyramid_tier", Pyramid.tier(col("pyramid_value"), thresholds, settings.tiers()));

    ctx.phase("KMeans clusters");
    String version;
    PipelineModel model;
    Selection sel = null;
    if (settings.kmeans().retrain()) {
      sel = Clustering.select(features, customers, settings.kmeans());
      version = ctx.version();
      model =
          Clustering.fit(
              Clustering.canonical(features, customers),
              settings.kmeans().features(),
              sel.best(),
              settings.kmeans().maxIter());
      LOG.info(
          "chose K = {} (silhouette {}, seed {}) on {} sampled customers; model {}",
          sel.best().k(),
          sel.best().silhouette(),
          sel.best().seed(),
          sel.sampleSize(),
          version);
    } else {
      version = settings.kmeans().modelVersion().orElseGet(() -> latestModel(lake));
      model = loadModel(lake, version);
      LOG.info("assigning clusters with saved model {}", version);
    }
    Dataset<Row> segments = ctx.persist(output(Clustering.assign(tiered, model), version));
    segments.count();

    ctx.phase("segment profiles");
    List<String> dims = new ArrayList<>();
    settings.schemes().forEach(s -> dims.add(s.column()));
    dims.add("pyramid_tier");
    dims.add("cluster_label");
    // One row per dimension and segment (tens of rows): one file.
    Dataset<Row> profiles = ctx.persist(profiles(segments, dims, asOfDate).coalesce(1));
    profiles.count();

    ctx.phase("cohort retention");
    // Cohort months × months since: a few thousand rows at most.
    Dataset<Row> cohorts = ctx.persist(Cohorts.retention(tx, asOf).coalesce(1));
    LOG.info("{} cohort-month cells", cohorts.count());

    SegmentsResult result =
        new SegmentsResult(
            asOf,
            customers,
            b.toString(),
            String.join(" | ", warnings),
            Arrays.toString(mean),
            settings.pyramidBy().name().toLowerCase(Locale.ROOT),
            Arrays.toString(thresholds),
            Clustering.kmeansOf(model).getK(),
            version,
            new TreeMap<>(Clustering.labels(model)).toString(),
            Optional.ofNullable(sel).map(SegmentsResult.Training::of));
    Outputs.Builder<SegmentsResult> out =
        Outputs.of(result)
            .replace(SegmentsTables.CUSTOMER_FEATURES, asOfDate, features)
            .replace(segmentsTable(), asOfDate, segments)
            .replace(SegmentsTables.SEGMENT_PROFILES, asOfDate, profiles)
            .replace(SegmentsTables.COHORT_RETENTION, asOfDate, cohorts);
    if (sel != null) {
      String path = lake.root() + "/" + MODELS + "/" + version;
      PipelineModel trained = model;
      out.artifact(
              "KMeans model " + version,
              () -> {
                try {
                  trained.write().overwrite().save(path);
                } catch (IOException e) {
                  throw new IllegalStateException(
                      "cannot save the KMeans model to " + path + ": " + e, e);
                }
              })
          .write(SegmentsTables.CLUSTER_SELECTION, selectionRows(lake, sel, version, asOfDate));
    }
    return out.build();
  }

  /** gold.customer_segments with one column per configured classification scheme. */
  Table segmentsTable() {
    List<StructField> schemes = new ArrayList<>();
    for (SegmentScheme s : settings.schemes()) {
      StructField declared =
          SegmentsTables.CUSTOMER_SEGMENTS.schema().getFieldIndex(s.column()).isDefined()
              ? SegmentsTables.CUSTOMER_SEGMENTS.schema().apply(s.column())
              : new StructField(s.column(), DataTypes.StringType, true, Metadata.empty())
                  .withComment(
                      "Class of the customer in the scheme segments.schemes." + s.column() + ".");
      schemes.add(declared);
    }
    return SegmentsTables.CUSTOMER_SEGMENTS.withSlot(schemes);
  }

  /** Adds pyramid_value: net spend, or gold.clv's clv (0 for customers without one). */
  private Dataset<Row> withPyramidValue(Lake lake, Dataset<Row> scored) {
    if (settings.pyramidBy() == SegmentsSettings.PyramidBy.MONETARY) {
      return scored.withColumn("pyramid_value", col("monetary"));
    }
    if (!lake.exists(ClvTables.CLV)) {
      throw new ConfigError(
          "segments.pyramid.by = clv needs gold.clv, which does not exist yet: run `bin/crmlake"
              + " clv` first, or set segments.pyramid.by = monetary");
    }
    Dataset<Row> clv =
        lake.read(ClvTables.CLV).select(col("customer_id"), col("clv").as("pyramid_value"));
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

  private static Dataset<Row> selectionRows(
      Lake lake, Selection sel, String version, java.sql.Date asOf) {
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
    return lake.spark().createDataFrame(rows, SegmentsTables.CLUSTER_SELECTION.schema());
  }

  private static String modelsDir(Lake lake) {
    return lake.root() + "/" + MODELS;
  }

  private static PipelineModel loadModel(Lake lake, String version) {
    String path = modelsDir(lake) + "/" + version;
    Path p = new Path(path);
    try {
      FileSystem fs =
          LakePaths.fileSystem(p, lake.spark().sparkContext().hadoopConfiguration(), "lake.root");
      if (!fs.exists(p)) {
        throw ConfigError.invalid(
            "segments.kmeans.model-version",
            version,
            "must name a saved model under " + modelsDir(lake));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path + ": " + e, e);
    }
    return PipelineModel.load(path);
  }

  /**
   * The newest model a training run committed: the chosen trial of gold.cluster_selection, which is
   * written after the model is saved, so a run that failed after saving its model is ignored.
   */
  private static String latestModel(Lake lake) {
    String none =
        "segments.kmeans.retrain = false, but no trained model exists: run segments with"
            + " retrain = true first";
    if (!lake.exists(SegmentsTables.CLUSTER_SELECTION)) {
      throw new ConfigError(
          none + " (" + SegmentsTables.CLUSTER_SELECTION + " does not exist yet)");
    }
    Row latest =
        lake.read(SegmentsTables.CLUSTER_SELECTION)
            .where(col("chosen"))
            .agg(functions.max("model_version"))
            .first();
    if (latest.isNullAt(0)) {
      throw new ConfigError(none);
    }
    return latest.getString(0);
  }
}
