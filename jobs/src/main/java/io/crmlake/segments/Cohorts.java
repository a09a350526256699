package io.crmlake.segments;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.months_between;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.trunc;
import static org.apache.spark.sql.functions.when;

import io.crmlake.features.CustomerDays;
import io.crmlake.features.CustomerFeatures;
import java.time.LocalDate;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Cohort retention ({@code gold.cohort_retention}): customers grouped by the month of their first
 * sale, and for every later month the share of the cohort that bought again and the cohort's net
 * revenue. A customer with only returns belongs to no cohort. Two aggregations on the executors:
 * one row per customer and month, then one per cohort and month, from {@link CustomerDays}.
 */
public final class Cohorts {
  private Cohorts() {}

  /**
   * Retention and revenue per cohort month and months since, over the lines before {@code asOf}.
   * Needs {@code customer_id, order_date, amount, is_return}.
   */
  public static Dataset<Row> retention(Dataset<Row> transactions, LocalDate asOf) {
    return fromDays(CustomerDays.sums(CustomerFeatures.before(transactions, asOf)), asOf);
  }

  /**
   * {@link #retention} from {@link CustomerDays} or their {@link CustomerDays#sums} (which may run
   * past {@code asOf}).
   */
  public static Dataset<Row> fromDays(Dataset<Row> days, LocalDate asOf) {
    Dataset<Row> monthly =
        CustomerDays.before(days, asOf)
            .groupBy(col("customer_id"), trunc(col("order_date"), "month").as("month"))
            .agg(
                sum("net").cast("double").as("revenue"),
                max(when(CustomerDays.purchase(), 1).otherwise(0)).as("bought"));
    Dataset<Row> cohorts =
        monthly
            .where(col("bought").equalTo(1))
            .groupBy("customer_id")
            .agg(min("month").as("cohort_month"));
    Dataset<Row> sizes = cohorts.groupBy("cohort_month").agg(count(lit(1)).as("cohort_customers"));
    return monthly
        .join(cohorts, "customer_id")
        .withColumn("months_since", months_between(col("month"), col("cohort_month")).cast("int"))
        .groupBy("cohort_month", "months_since")
        .agg(sum("bought").cast("long").as("active_customers"), sum("revenue").as("revenue"))
        .join(sizes, "cohort_month")
        .select(
            lit(java.sql.Date.valueOf(asOf)).as("as_of_date"),
            col("cohort_month"),
            col("months_since"),
            col("cohort_customers"),
            col("active_customers"),
            col("active_customers").divide(col("cohort_customers")).as("retention"),
            col("revenue"),
            col("revenue").divide(col("cohort_customers")).as("revenue_per_customer"));
  }
}
