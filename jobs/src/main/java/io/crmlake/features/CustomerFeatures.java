package io.crmlake.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.datediff;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Behaviour features per customer as of a date, from {@code silver.transactions}: the one
 * implementation shared by segments, churn and CLV.
 *
 * <p>Point in time: only lines dated strictly before {@code asOf} are used, so the features of a
 * past date never change when later transactions arrive. A customer is anyone with a customer id
 * and at least one sale before {@code asOf}; returns count against spend and in the return rate but
 * are not purchases.
 *
 * <p>Columns: {@code customer_id, as_of_date, first_purchase_date, last_purchase_date,
 * recency_days} (as-of date minus last purchase date, at least 1), {@code frequency} (distinct
 * orders), {@code purchase_days} (distinct days with a purchase), {@code monetary} (net spend:
 * sales minus returns), {@code gross_sales, returned_amount, tenure_days} (as-of date minus first
 * purchase date), {@code avg_order_value} (net spend / orders), {@code avg_gap_days} (mean days
 * between purchase days; null with a single purchase day), {@code distinct_categories, return_rate}
 * (returned amount / gross sales).
 */
public final class CustomerFeatures {
  private CustomerFeatures() {}

  /** The day after the last transaction date: the default as-of date (null on an empty table). */
  public static LocalDate defaultAsOf(Dataset<Row> transactions) {
    Row r = transactions.agg(max(col("order_date"))).first();
    return r.isNullAt(0) ? null : r.getDate(0).toLocalDate().plusDays(1);
  }

  /** Lines usable for features as of {@code asOf}: a customer, dated before asOf. */
  public static Dataset<Row> before(Dataset<Row> transactions, LocalDate asOf) {
    return transactions.where(
        col("customer_id").isNotNull().and(col("order_date").lt(lit(java.sql.Date.valueOf(asOf)))));
  }

  /**
   * Features per customer. Needs {@code customer_id, order_id, order_date, amount, category,
   * is_return}.
   */
  public static Dataset<Row> compute(Dataset<Row> transactions, LocalDate asOf) {
    return fromDays(CustomerDays.of(before(transactions, asOf)), asOf, Map.of());
  }

  /**
   * Features per customer as of {@code asOf} from {@link CustomerDays} (which may run past {@code
   * asOf}: only the days before it are used), with {@code extra} aggregates over the same days
   * appended under their names: one pass over the days for both.
   */
  public static Dataset<Row> fromDays(
      Dataset<Row> days, LocalDate asOf, Map<String, Column> extra) {
    Column purchase = CustomerDays.purchase();
    Column asOfDate = lit(java.sql.Date.valueOf(asOf));
    List<Column> aggs = new ArrayList<>();
    aggs.add(max(when(purchase, col("order_date"))).as("last_purchase_date"));
    aggs.add(sum(col("new_orders")).as("frequency"));
    aggs.add(count(when(purchase, lit(1))).as("purchase_days"));
    aggs.add(sum(col("net")).cast("double").as("monetary"));
    aggs.add(sum(col("sales")).cast("double").as("gross_sales"));
    aggs.add(sum(col("sales").minus(col("net"))).cast("double").as("returned_amount"));
    aggs.add(sum(col("new_categories")).as("distinct_categories"));
    extra.forEach((name, agg) -> aggs.add(agg.as(name)));
    Dataset<Row> perCustomer =
        CustomerDays.before(days, asOf)
            .groupBy("customer_id")
            .agg(
                min(when(purchase, col("order_date"))).as("first_purchase_date"),
                aggs.toArray(new Column[0]))
            .where(col("frequency").gt(0));
    List<Column> out =
        new ArrayList<>(
            List.of(
                col("customer_id"),
                asOfDate.as("as_of_date"),
                col("first_purchase_date"),
                col("last_purchase_date"),
                datediff(asOfDate, col("last_purchase_date")).as("recency_days"),
                col("frequency"),
                col("purchase_days"),
                col("monetary"),
                col("gross_sales"),
                col("returned_amount"),
                datediff(asOfDate, col("first_purchase_date")).as("tenure_days"),
                col("monetary").divide(col("frequency")).as("avg_order_value"),
                when(
                        col("purchase_days").gt(1),
                        datediff(col("last_purchase_date"), col("first_purchase_date"))
                            .divide(col("purchase_days").minus(1)))
                    .as("avg_gap_days"),
                col("distinct_categories"),
                when(col("gross_sales").gt(0), col("returned_amount").divide(col("gross_sales")))
                    .otherwise(lit(0.0))
                    .as("return_rate")));
    extra.keySet().forEach(name -> out.add(col(name)));
    return perCustomer.select(out.toArray(new Column[0]));
  }
}
