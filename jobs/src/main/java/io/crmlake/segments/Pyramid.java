package io.crmlake.segments;

import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.crmlake.segments.SegmentsSettings.Tier;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The customer pyramid: tiers by rank of a value (net spend or CLV). With tiers of shares s1, s2,
 * ... from the top, the thresholds are the (1 - s1), (1 - s1 - s2), ... quantiles of the value; a
 * customer is in the first tier whose threshold the value exceeds, so equal values share a tier.
 */
public final class Pyramid {
  private Pyramid() {}

  /** Thresholds between consecutive tiers (one fewer than tiers), from the top down. */
  public static double[] thresholds(
      Dataset<Row> customers, String valueColumn, List<Tier> tiers, double relativeError) {
    double[] probs = new double[tiers.size() - 1];
    double cum = 0;
    for (int i = 0; i < probs.length; i++) {
      cum += tiers.get(i).share();
      probs[i] = Math.max(0, 1 - cum);
    }
    return customers.stat().approxQuantile(valueColumn, probs, relativeError);
  }

  /** The tier name of a value, given {@link #thresholds}. */
  public static Column tier(Column value, double[] thresholds, List<Tier> tiers) {
    Column out = lit(tiers.get(tiers.size() - 1).name());
    for (int i = thresholds.length - 1; i >= 0; i--) {
      out = when(value.gt(thresholds[i]), lit(tiers.get(i).name())).otherwise(out);
    }
    return out;
  }
}
