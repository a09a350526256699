package io.crmlake.segments;

import io.crmlake.common.run.ModelRefresh;
import io.crmlake.common.run.PerCustomerResult;
import io.crmlake.segments.Clustering.Selection;
import io.crmlake.segments.Clustering.Trial;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a segments run computed.
 *
 * @param asOfDate the date the segments describe
 * @param customers customers with a purchase before it
 * @param rfmBoundaries the 20/40/60/80 % quantiles of R, F and M
 * @param rfmWarnings coinciding boundaries, if any ("" when none)
 * @param splitMean the mean R, F, M the split schemes compare against
 * @param pyramidBy monetary or clv
 * @param pyramidThresholds the values separating the tiers
 * @param k clusters of the model used
 * @param modelVersion the KMeans model (trained by this run, or loaded)
 * @param clusterLabels cluster id → label
 * @param training how K was chosen, when this run trained the model
 * @param refresh whether the run trained or reused its model, and why
 */
public record SegmentsResult(
    LocalDate asOfDate,
    long customers,
    String rfmBoundaries,
    String rfmWarnings,
    String splitMean,
    String pyramidBy,
    String pyramidThresholds,
    int k,
    String modelVersion,
    String clusterLabels,
    Optional<Training> training,
    ModelRefresh.Decision refresh)
    implements PerCustomerResult {

  /**
   * The model selection of a training run.
   *
   * @param silhouette silhouette of the chosen (K, seed)
   * @param seed the chosen seed
   * @param sample customers in the selection sample
   * @param silhouetteByK best silhouette per K tried, e.g. "2=0.5901, 3=0.4520"
   */
  public record Training(double silhouette, long seed, long sample, String silhouetteByK) {
    static Training of(Selection sel) {
      Map<Integer, Double> bestPerK = new TreeMap<>();
      for (Trial t : sel.trials()) {
        if (!Double.isNaN(t.silhouette())) {
          bestPerK.merge(t.k(), t.silhouette(), Math::max);
        }
      }
      List<String> parts = new ArrayList<>();
      bestPerK.forEach((k, s) -> parts.add(k + "=" + String.format(Locale.ROOT, "%.4f", s)));
      return new Training(
          sel.best().silhouette(), sel.best().seed(), sel.sampleSize(), String.join(", ", parts));
    }
  }
}
