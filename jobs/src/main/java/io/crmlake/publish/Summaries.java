package io.crmlake.publish;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.percentile_approx;
import static org.apache.spark.sql.functions.sum;

import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * Per-segment summaries of the customers in scope and the class migrations between two snapshots:
 * pure functions of the {@link CustomerScores} rows.
 */
public final class Summaries {
  /** The segmentations summarised: dimension name → the column that holds the segment. */
  static final Map<String, Column> DIMENSIONS =
      Map.of(
          "value_class", col("value_class"),
          "rfm_segment", col("rfm_segment"),
          "cluster", concat(col("cluster_id").cast("string"), lit(": "), col("cluster_label")),
          "pyramid_tier", col("pyramid_tier"));

  /** The classes whose moves {@link #migration} lists. */
  static final List<String> MIGRATING = List.of("value_class", "pyramid_tier", "risk_band");

  private Summaries() {}

  /** gold.segment_summary: per dimension and segment, sizes, shares, medians, churn and CLV. */
  public static Dataset<Row> segmentSummary(Dataset<Row> scores, LocalDate asOf) {
    Dataset<Row> out = null;
    for (String d : List.of("value_class", "rfm_segment", "cluster", "pyramid_tier")) {
      Dataset<Row> one =
          scores
              .withColumn("segment", DIMENSIONS.get(d))
              .where(col("segment").isNotNull())
              .groupBy("segment")
              .agg(
                  count(lit(1)).as("customers"),
                  sum("net_spend").as("revenue"),
                  percentile_approx(col("recency_days").cast("double"), lit(0.5), lit(10_000))
                      .as("median_recency_days"),
                  percentile_approx(col("orders").cast("double"), lit(0.5), lit(10_000))
                      .as("median_orders"),
                  percentile_approx(col("net_spend"), lit(0.5), lit(10_000)).as("median_net_spend"),
                  avg("churn_probability").as("mean_churn_probability"),
                  count("churn_probability").as("churn_scored"),
                  coalesce(sum("clv"), lit(0.0)).as("total_clv"),
                  avg("clv").as("mean_clv"))
              .withColumn("dimension", lit(d));
      out = out == null ? one : out.unionByName(one);
    }
    // Shares over the few summary rows of each dimension.
    var all = Window.partitionBy("dimension");
    return out.select(
        lit(Date.valueOf(asOf)).as("as_of_date"),
        col("dimension"),
        col("segment"),
        col("customers"),
        col("customers").divide(sum("customers").over(all)).as("customer_share"),
        col("revenue"),
        col("revenue").divide(sum("revenue").over(all)).as("revenue_share"),
        col("median_recency_days"),
        col("median_orders"),
        col("median_net_spend"),
        col("mean_churn_probability"),
        col("churn_scored"),
        col("total_clv"),
        col("mean_clv"));
  }

  /**
   * gold.segment_migration: customers whose value class, tier or risk band differs between the
   * previous snapshot and this one (a customer new to the snapshot moves from null; one who left
   * moves to null).
   */
  public static Dataset<Row> migration(
      Dataset<Row> previous, LocalDate previousAsOf, Dataset<Row> current, LocalDate asOf) {
    List<Column> prev = new ArrayList<>(List.of(col("customer_id")));
    List<Column> cur = new ArrayList<>(List.of(col("customer_id")));
    for (String d : MIGRATING) {
      prev.add(col(d).as("p_" + d));
      cur.add(col(d).as("c_" + d));
    }
    Dataset<Row> both =
        previous
            .select(prev.toArray(new Column[0]))
            .join(current.select(cur.toArray(new Column[0])), "customer_id", "full");
    Dataset<Row> out = null;
    for (String d : MIGRATING) {
      Dataset<Row> moves =
          both.where(col("p_" + d).eqNullSafe(col("c_" + d)).unary_$bang())
              .select(
                  lit(Date.valueOf(asOf)).as("as_of_date"),
                  lit(Date.valueOf(previousAsOf)).as("previous_as_of_date"),
                  lit(d).as("dimension"),
                  col("customer_id"),
                  col("p_" + d).as("from_segment"),
                  col("c_" + d).as("to_segment"));
      out = out == null ? moves : out.union(moves);
    }
    return out;
  }
}
