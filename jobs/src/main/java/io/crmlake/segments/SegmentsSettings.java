package io.crmlake.segments;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.config.Settings;
import io.crmlake.common.run.ModelRefresh;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Settings of the segments job ({@code segments.*}; meanings in crmlake-defaults.conf). */
public record SegmentsSettings(
    Optional<LocalDate> asOf,
    double quantileError,
    List<SegmentScheme> schemes,
    PyramidBy pyramidBy,
    List<Tier> tiers,
    KMeansSettings kmeans) {

  /** Numeric columns of the customer features that clustering may use. */
  public static final Set<String> CLUSTER_FEATURES =
      Set.of(
          "recency_days",
          "frequency",
          "purchase_days",
          "monetary",
          "gross_sales",
          "tenure_days",
          "avg_order_value",
          "avg_gap_days",
          "distinct_categories",
          "return_rate");

  /** Columns of gold.customer_segments a scheme may not take. */
  static final Set<String> RESERVED =
      Set.of(
          "customer_id",
          "as_of_date",
          "recency_days",
          "frequency",
          "monetary",
          "r_score",
          "f_score",
          "m_score",
          "rfm_cell",
          "pyramid_tier",
          "cluster_id",
          "cluster_label",
          "model_version");

  public enum PyramidBy {
    MONETARY,
    CLV
  }

  /** A pyramid tier and the share of customers it holds (tiers listed from the top). */
  public record Tier(String name, double share) {}

  /** KMeans: features, the K range searched, seeds per K, and how the model is obtained. */
  public record KMeansSettings(
      List<String> features,
      int kMin,
      int kMax,
      int seeds,
      int maxIter,
      int sampleSize,
      int parallelism,
      ModelRefresh refresh,
      Optional<String> modelVersion) {}

  public static SegmentsSettings from(CrmlakeConfig config) {
    Settings s = config.settings();
    List<SegmentScheme> schemes = schemes(s.object("segments.schemes"));
    List<Tier> tiers = tiers(s.objectList("segments.pyramid.tiers"));
    KMeansSettings kmeans = kmeans(s);
    double err = s.doubleIn("segments.rfm.quantile-error", 0, 0.1);
    return new SegmentsSettings(
        s.optDate("segments.as-of"),
        err,
        schemes,
        s.enumValue("segments.pyramid.by", PyramidBy.class),
        tiers,
        kmeans);
  }

  /** segments.schemes: one classification scheme per column name. */
  private static List<SegmentScheme> schemes(Settings schemesSettings) {
    List<SegmentScheme> schemes = new ArrayList<>();
    for (String column : schemesSettings.keys()) {
      if (RESERVED.contains(column)) {
        throw ConfigError.invalid(
            schemesSettings.key(column), column, "must not be a column name crmlake already uses");
      }
      schemes.add(SegmentScheme.from(column, schemesSettings));
    }
    return List.copyOf(schemes);
  }

  /** segments.pyramid.tiers: at least two named tiers whose shares add up to 1. */
  private static List<Tier> tiers(List<Settings> tierSettings) {
    List<Tier> tiers = new ArrayList<>();
    double total = 0;
    for (Settings t : tierSettings) {
      t.onlyKeys(List.of("name", "share"));
      double share = t.number("share");
      if (!(share > 0 && share < 1)) {
        throw ConfigError.invalid(t.key("share"), share, "must be between 0 and 1 (exclusive)");
      }
      String name = t.string("name");
      if (name.isBlank()) {
        throw ConfigError.invalid(t.key("name"), "\"" + name + "\"", "must name the tier");
      }
      total += share;
      tiers.add(new Tier(name, share));
    }
    if (tiers.size() < 2 || Math.abs(total - 1) > 1e-9) {
      throw ConfigError.invalid(
          "segments.pyramid.tiers",
          tiers,
          "must list at least two tiers whose shares add up to 1 (they add up to " + total + ")");
    }
    return List.copyOf(tiers);
  }

  /** segments.kmeans.*: features among {@link #CLUSTER_FEATURES}, k-min ≤ k-max. */
  private static KMeansSettings kmeans(Settings s) {
    List<String> features = s.stringList("segments.kmeans.features");
    for (String f : features) {
      if (!CLUSTER_FEATURES.contains(f)) {
        throw ConfigError.invalid(
            "segments.kmeans.features",
            f,
            "must name features among " + new TreeSet<>(CLUSTER_FEATURES));
      }
    }
    if (features.isEmpty()) {
      throw ConfigError.invalid("segments.kmeans.features", features, "must name at least one");
    }
    int kMin = s.intAtLeast("segments.kmeans.k-min", 2);
    int kMax = s.intAtLeast("segments.kmeans.k-max", 2);
    if (kMax < kMin) {
      throw ConfigError.invalid("segments.kmeans.k-max", kMax, "must be at least k-min " + kMin);
    }
    return new KMeansSettings(
        List.copyOf(features),
        kMin,
        kMax,
        s.intAtLeast("segments.kmeans.seeds", 1),
        s.intAtLeast("segments.kmeans.max-iter", 1),
        s.intAtLeast("segments.kmeans.sample-size", 100),
        s.intAtLeast("segments.kmeans.parallelism", 1),
        ModelRefresh.of(s, "segments.kmeans", "KMeans clusters"),
        s.optString("segments.kmeans.model-version"));
  }
}
