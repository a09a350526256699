package io.crmlake.segments;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.crmlake.segments.SegmentScheme.Split;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * RFM scoring and classification as pure transformations of {@code customer_features} rows.
 *
 * <p>Scores: the 20/40/60/80% quantiles of each dimension over all customers are its boundaries; a
 * value scores 1 + the number of boundaries strictly below it (recency: 5 minus that, so recent =
 * high). Equal values therefore always share a score. When boundaries coincide (many customers with
 * the same value, typically frequency 1) some scores cannot occur: {@link #collapsed} says which.
 */
public final class Rfm {
  static final String[] DIMENSIONS = {"recency_days", "frequency", "monetary"};
  static final double[] PROBS = {0.2, 0.4, 0.6, 0.8};

  private Rfm() {}

  /** Quantile boundaries per dimension, in {@link #DIMENSIONS} order. */
  public record Boundaries(double[][] values) {
    @Override
    public String toString() {
      List<String> parts = new ArrayList<>();
      for (int i = 0; i < DIMENSIONS.length; i++) {
        parts.add(DIMENSIONS[i] + " " + Arrays.toString(values[i]));
      }
      return String.join("; ", parts);
    }
  }

  public static Boundaries boundaries(Dataset<Row> features, double relativeError) {
    return new Boundaries(features.stat().approxQuantile(DIMENSIONS, PROBS, relativeError));
  }

  /** One warning per dimension whose boundaries coincide (scores that cannot occur). */
  public static List<String> collapsed(Boundaries b) {
    List<String> warnings = new ArrayList<>();
    for (int d = 0; d < DIMENSIONS.length; d++) {
      double[] q = b.values()[d];
      for (int i = 1; i < q.length; i++) {
        if (q[i] == q[i - 1]) {
          warnings.add(
              String.format(
                  "%s: quantile boundaries collapse %s (many customers share a value), so some"
                      + " scores are not used; equal values keep equal scores",
                  DIMENSIONS[d], Arrays.toString(q)));
          break;
        }
      }
    }
    return warnings;
  }

  /** Adds r_score, f_score, m_score (1-5) and rfm_cell (e.g. "545"). */
  public static Dataset<Row> score(Dataset<Row> features, Boundaries b) {
    Column r = lit(5).minus(above(col("recency_days"), b.values()[0]));
    Column f = lit(1).plus(above(col("frequency"), b.values()[1]));
    Column m = lit(1).plus(above(col("monetary"), b.values()[2]));
    return features
        .withColumn("r_score", r.cast("int"))
        .withColumn("f_score", f.cast("int"))
        .withColumn("m_score", m.cast("int"))
        .withColumn(
            "rfm_cell",
            concat(
                col("r_score").cast("string"),
                col("f_score").cast("string"),
                col("m_score").cast("string")));
  }

  private static Column above(Column v, double[] bounds) {
    Column n = lit(0);
    for (double q : bounds) {
      n = n.plus(when(v.gt(q), 1).otherwise(0));
    }
    return n;
  }

  /** The split value of R, F and M (mean, or median within the relative error). */
  public static double[] splits(Dataset<Row> features, Split split, double relativeError) {
    if (split == Split.MEDIAN) {
      double[][] q = features.stat().approxQuantile(DIMENSIONS, new double[] {0.5}, relativeError);
      return new double[] {q[0][0], q[1][0], q[2][0]};
    }
    Row r = features.agg(avg("recency_days"), avg("frequency"), avg("monetary")).first();
    return new double[] {r.getDouble(0), r.getDouble(1), r.getDouble(2)};
  }

  /** Adds one column per scheme, from the scores or from high/low against the scheme's split. */
  public static Dataset<Row> classify(
      Dataset<Row> scored,
      List<SegmentScheme> schemes,
      double[] meanSplits,
      double[] medianSplits) {
    Dataset<Row> out = scored;
    for (SegmentScheme s : schemes) {
      Column value;
      if (s.type() == SegmentScheme.Type.SPLIT) {
        double[] sp = s.split() == Split.MEDIAN ? medianSplits : meanSplits;
        value =
            s.column(
                SegmentScheme.levels(col("recency_days"), sp[0], true),
                SegmentScheme.levels(col("frequency"), sp[1], false),
                SegmentScheme.levels(col("monetary"), sp[2], false));
      } else {
        value = s.column(col("r_score"), col("f_score"), col("m_score"));
      }
      out = out.withColumn(s.column(), value);
    }
    return out;
  }
}
