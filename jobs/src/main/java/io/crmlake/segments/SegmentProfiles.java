package io.crmlake.segments;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.percentile_approx;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Segment profiles ({@code gold.segment_profiles}): the size, revenue share and R/F/M statistics of
 * every class of every scheme, every pyramid tier and every cluster. One aggregate row of totals
 * reaches the driver; the profiles are one aggregation on the executors over one row per customer
 * and dimension.
 */
public final class SegmentProfiles {
  private SegmentProfiles() {}

  /**
   * Per dimension (scheme column, pyramid_tier, cluster_label) and segment: customers and their
   * share, revenue (net spend) and its share, mean and median recency, frequency and monetary.
   * Needs {@code recency_days, frequency, monetary} and the dimensions' columns.
   */
  public static Dataset<Row> of(
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
}
