package io.crmlake.segments;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.crmlake.clv.ClvTables;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.ModelRefresh;
import io.crmlake.common.run.Outputs;
import io.crmlake.common.run.RunContext;
import io.crmlake.features.CustomerFeatures;
import io.crmlake.ingest.IngestTables;
import io.crmlake.segments.Clustering.Selection;
import io.crmlake.segments.Clustering.Trial;
import io.crmlake.segments.SegmentScheme.Split;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Customer segmentation: {@code silver.customer_days} → {@code gold.customer_features}, {@code
 * gold.customer_segments}, {@code gold.segment_profiles} ({@link SegmentProfiles}), {@code
 * gold.cohort_retention} ({@link Cohorts}), {@code gold.cluster_selection}.
 *
 * <p>Run with {@code bin/crmlake segments [--set segments.as-of=2024-07-01]}. Features as of the
 * date ({@link CustomerFeatures}); RFM scores and the classes of every configured scheme ({@link
 * Rfm}, {@link SegmentScheme}); the value pyramid ({@link Pyramid}); KMeans clusters with K chosen
 * by silhouette, the model saved under {@code <lake>/models/segments/kmeans/<version>} ({@link
 * Clustering}, {@link KMeansModels}). Everything is computed first; then the model is saved and
 * each table's rows for the as-of date are replaced in one Delta commit ({@link
 * io.crmlake.common.run.JobRunner}); other dates stay, and Delta keeps history. Settings that
 * matter: {@code segments.as-of}, {@code segments.schemes}, {@code segments.pyramid.*}, {@code
 * segments.kmeans.*}.
 */
public final class SegmentsJob implements Job<SegmentsResult> {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentsJob.class);

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
    ctx.phase("customer features");
    Customers customers = customerFeatures(ctx);

    ctx.phase("RFM scores and classes");
    RfmClasses rfm = rfmClasses(customers.features());

    ctx.phase("customer pyramid");
    PyramidTiers pyramid = pyramid(ctx.lake(), rfm.classified());

    ctx.phase("KMeans clusters");
    Clusters clusters = clusters(ctx, customers, pyramid.tiered());

    ctx.phase("segment profiles");
    Dataset<Row> profiles = segmentProfiles(ctx, clusters.segments(), customers.asOfDate());

    ctx.phase("cohort retention");
    Dataset<Row> cohorts = cohortRetention(ctx, customers);

    java.sql.Date asOf = customers.asOfDate();
    Outputs.Builder<SegmentsResult> out =
        Outputs.of(result(customers, rfm, pyramid, clusters))
            .replace(SegmentsTables.CUSTOMER_FEATURES, asOf, customers.features())
            .replace(segmentsTable(), asOf, clusters.segments())
            .replace(SegmentsTables.SEGMENT_PROFILES, asOf, profiles)
            .replace(SegmentsTables.COHORT_RETENTION, asOf, cohorts);
    ClusterModel model = clusters.model();
    model.selection().ifPresent(trials -> saveTrained(out, ctx.lake(), model, trials, asOf));
    return out.build();
  }

  /** silver.customer_days, the as-of date, the customers' features (cached) and their number. */
  record Customers(Dataset<Row> days, LocalDate asOf, Dataset<Row> features, long count) {
    java.sql.Date asOfDate() {
      return java.sql.Date.valueOf(asOf);
    }
  }

  /**
   * The RFM score boundaries, a warning per dimension whose boundaries collapse, the mean R, F and
   * M the split schemes compare against, and the customers with their scores and classes.
   */
  record RfmClasses(
      Rfm.Boundaries boundaries,
      List<String> warnings,
      double[] meanSplits,
      Dataset<Row> classified) {}

  /** The values separating the pyramid's tiers, and the customers with their tier. */
  record PyramidTiers(double[] thresholds, Dataset<Row> tiered) {}

  /**
   * The KMeans pipeline and its version: trained by this run (with how K was chosen) or loaded, and
   * the refresh decision that chose between the two.
   */
  record ClusterModel(
      String version,
      PipelineModel pipeline,
      Optional<Selection> selection,
      ModelRefresh.Decision refresh) {}

  /** The model used and the rows of gold.customer_segments it assigned (cached). */
  record Clusters(ClusterModel model, Dataset<Row> segments) {}

  /** Features of the customers with a purchase before the as-of date (default: the last + 1). */
  private Customers customerFeatures(RunContext ctx) {
    Dataset<Row> days = ctx.lake().read(IngestTables.CUSTOMER_DAYS);
    LocalDate asOf =
        settings
            .asOf()
            .orElseGet(
                () -> CustomerFeatures.defaultAsOf(ctx.lake().read(IngestTables.TRANSACTIONS)));
    if (asOf == null) {
      throw new ConfigError("silver.transactions is empty: there are no customers to segment");
    }
    Dataset<Row> features = ctx.persist(CustomerFeatures.fromDays(days, asOf, Map.of()));
    long customers = features.count();
    if (customers == 0) {
      throw new ConfigError(
          "no customer has a purchase before segments.as-of = " + asOf + ": nothing to segment");
    }
    LOG.info("{} customers with purchases before {}", customers, asOf);
    return new Customers(days, asOf, features, customers);
  }

  /** RFM scores by quantile boundaries, then one class column per configured scheme. */
  private RfmClasses rfmClasses(Dataset<Row> features) {
    double error = settings.quantileError();
    Rfm.Boundaries b = Rfm.boundaries(features, error);
    LOG.info("RFM score boundaries (20/40/60/80%): {}", b);
    List<String> warnings = Rfm.collapsed(b);
    warnings.forEach(LOG::warn);
    double[] mean = Rfm.splits(features, Split.MEAN, error);
    boolean median = settings.schemes().stream().anyMatch(s -> s.split() == Split.MEDIAN);
    double[] med = median ? Rfm.splits(features, Split.MEDIAN, error) : mean;
    Dataset<Row> classified = Rfm.classify(Rfm.score(features, b), settings.schemes(), mean, med);
    return new RfmClasses(b, warnings, mean, classified);
  }

  /** The pyramid tier of every customer, by net spend or CLV. */
  private PyramidTiers pyramid(Lake lake, Dataset<Row> classified) {
    Dataset<Row> valued = withPyramidValue(lake, classified);
    double[] thresholds =
        Pyramid.thresholds(valued, "pyramid_value", settings.tiers(), settings.quantileError());
    Dataset<Row> tiered =
        valued.withColumn(
            "pyramid_tier", Pyramid.tier(col("pyramid_value"), thresholds, settings.tiers()));
    LOG.info(
        "pyramid by {}: {} tiers, thresholds {}",
        pyramidBy(),
        settings.tiers().size(),
        Arrays.toString(thresholds));
    return new PyramidTiers(thresholds, tiered);
  }

  /** Clusters with a saved model or, when the refresh policy says so, one trained now. */
  private Clusters clusters(RunContext ctx, Customers customers, Dataset<Row> tiered) {
    ClusterModel model = chooseModel(ctx, customers);
    Dataset<Row> segments =
        ctx.persist(output(Clustering.assign(tiered, model.pipeline()), model.version()));
    segments.count();
    return new Clusters(model, segments);
  }

  /**
   * The saved model the refresh policy reuses ({@code segments.kmeans.retrain-after-days}, {@code
   * model-version}), unless it clusters on other features than {@code segments.kmeans.features};
   * else a model trained now.
   */
  private ClusterModel chooseModel(RunContext ctx, Customers customers) {
    Optional<String> pinned = settings.kmeans().modelVersion();
    ModelRefresh.Decision decision =
        settings
            .kmeans()
            .refresh()
            .decide(
                pinned.isPresent() ? Optional.empty() : KMeansModels.newestCommitted(ctx.lake()),
                pinned,
                ctx.startedAt());
    if (!decision.train()) {
      String version = decision.model().orElseThrow();
      PipelineModel saved = KMeansModels.load(ctx.lake(), version);
      List<String> on = Clustering.featuresOf(saved);
      if (on.equals(settings.kmeans().features())) {
        LOG.info("{}", decision.describe());
        return new ClusterModel(version, saved, Optional.empty(), decision);
      }
      if (pinned.isPresent()) {
        throw ConfigError.invalid(
            "segments.kmeans.model-version",
            version,
            "clusters on "
                + on
                + ", not on segments.kmeans.features "
                + settings.kmeans().features());
      }
      decision =
          decision.train(
              "model "
                  + version
                  + " clusters on "
                  + on
                  + ", segments.kmeans.features is now "
                  + settings.kmeans().features());
    }
    LOG.info("{}", decision.describe());
    return train(ctx, customers, decision);
  }

  /** K chosen by silhouette on a sample, then the whole pipeline fit on every customer. */
  private ClusterModel train(RunContext ctx, Customers customers, ModelRefresh.Decision decision) {
    Selection sel = Clustering.select(customers.features(), customers.count(), settings.kmeans());
    String version = ctx.version();
    PipelineModel model =
        Clustering.fit(
            Clustering.canonical(customers.features(), customers.count()),
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
    return new ClusterModel(version, model, Optional.of(sel), decision);
  }

  /** Profiles of every scheme's classes, the pyramid's tiers and the clusters. */
  private Dataset<Row> segmentProfiles(RunContext ctx, Dataset<Row> segments, java.sql.Date asOf) {
    List<String> dims = new ArrayList<>();
    settings.schemes().forEach(s -> dims.add(s.column()));
    dims.add("pyramid_tier");
    dims.add("cluster_label");
    // One row per dimension and segment (tens of rows): one file.
    Dataset<Row> profiles = ctx.persist(SegmentProfiles.of(segments, dims, asOf).coalesce(1));
    LOG.info("{} segment profiles over {} dimensions", profiles.count(), dims.size());
    return profiles;
  }

  private Dataset<Row> cohortRetention(RunContext ctx, Customers customers) {
    // Cohort months × months since: a few thousand rows at most.
    Dataset<Row> cohorts =
        ctx.persist(Cohorts.fromDays(customers.days(), customers.asOf()).coalesce(1));
    LOG.info("{} cohort-month cells", cohorts.count());
    return cohorts;
  }

  private SegmentsResult result(
      Customers customers, RfmClasses rfm, PyramidTiers pyramid, Clusters clusters) {
    PipelineModel model = clusters.model().pipeline();
    return new SegmentsResult(
        customers.asOf(),
        customers.count(),
        rfm.boundaries().toString(),
        String.join(" | ", rfm.warnings()),
        Arrays.toString(rfm.meanSplits()),
        pyramidBy(),
        Arrays.toString(pyramid.thresholds()),
        Clustering.kmeansOf(model).getK(),
        clusters.model().version(),
        new TreeMap<>(Clustering.labels(model)).toString(),
        clusters.model().selection().map(SegmentsResult.Training::of),
        clusters.model().refresh());
  }

  /**
   * A model this run trained: saved before the tables are written, and its trials appended to
   * gold.cluster_selection (which {@link KMeansModels#newestCommitted} reads; a run that fails
   * after saving its model leaves it unused).
   */
  private static void saveTrained(
      Outputs.Builder<SegmentsResult> out,
      Lake lake,
      ClusterModel model,
      Selection sel,
      java.sql.Date asOf) {
    out.artifact(
            "KMeans model " + model.version(),
            () -> KMeansModels.save(lake, model.version(), model.pipeline()))
        .write(SegmentsTables.CLUSTER_SELECTION, selectionRows(lake, sel, model.version(), asOf));
  }

  private String pyramidBy() {
    return settings.pyramidBy().name().toLowerCase(Locale.ROOT);
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
}
