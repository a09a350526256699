package io.crmlake.clv;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.datediff;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.min_by;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.crmlake.features.CustomerDays;
import io.crmlake.features.CustomerFeatures;
import java.time.LocalDate;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The per-customer summary the BG/NBD and Gamma-Gamma models take, from order lines up to and
 * including an end date (the point-in-time filter is {@link CustomerFeatures#before}). A purchase
 * is a day with at least one sale (several orders on one day are one purchase); its value is that
 * day's sales (returns are not purchases and are left out of spend).
 *
 * <p>Columns: {@code customer_id, first_purchase_date, last_purchase_date, frequency} (x: repeat
 * purchases = purchase days − 1), {@code recency} (t_x: first to last purchase), {@code t} (T:
 * first purchase to the end date), both in the time unit, {@code monetary_value} (mean value of the
 * repeat purchases; null when x = 0), {@code first_purchase_value}.
 */
public final class ClvSummary {
  private ClvSummary() {}

  public static Dataset<Row> summarize(
      Dataset<Row> transactions, LocalDate end, ClvSettings.TimeUnit unit) {
    return fromDays(
        CustomerDays.sums(CustomerFeatures.before(transactions, end.plusDays(1))), end, unit);
  }

  /**
   * The summary up to and including {@code end} from {@link CustomerDays} (or their {@link
   * CustomerDays#sums}), which may run past {@code end}.
   */
  public static Dataset<Row> fromDays(Dataset<Row> days, LocalDate end, ClvSettings.TimeUnit unit) {
    Column value = col("sales").cast("double");
    return CustomerDays.before(days, end.plusDays(1))
        .where(CustomerDays.purchase())
        .groupBy("customer_id")
        .agg(
            min("order_date").as("first_purchase_date"),
            max("order_date").as("last_purchase_date"),
            count(lit(1)).as("purchase_days"),
            sum(value).as("total_value"),
            min_by(value, col("order_date")).as("first_purchase_value"))
        .select(
            col("customer_id"),
            col("first_purchase_date"),
            col("last_purchase_date"),
            repeatPurchases(col("purchase_days")).as("frequency"),
            recency(col("first_purchase_date"), col("last_purchase_date"), unit).as("recency"),
            age(col("first_purchase_date"), end, unit).as("t"),
            when(
                    col("purchase_days").gt(1),
                    col("total_value")
                        .minus(col("first_purchase_value"))
                        .divide(col("purchase_days").minus(1)))
                .as("monetary_value"),
            col("first_purchase_value"));
  }

  /** x: the repeat purchases of a customer with {@code purchaseDays} purchase days. */
  public static Column repeatPurchases(Column purchaseDays) {
    return purchaseDays.minus(1).cast("double");
  }

  /** t_x: first to last purchase, in the time unit. */
  public static Column recency(
      Column firstPurchase, Column lastPurchase, ClvSettings.TimeUnit unit) {
    return datediff(lastPurchase, firstPurchase).divide(unit.days);
  }

  /** T: first purchase to {@code end}, in the time unit. */
  public static Column age(Column firstPurchase, LocalDate end, ClvSettings.TimeUnit unit) {
    return datediff(lit(java.sql.Date.valueOf(end)), firstPurchase).divide(unit.days);
  }

  /**
   * Purchase days per customer in (from, to], from {@link CustomerDays}: the holdout's actual
   * repeat purchases.
   */
  public static Dataset<Row> purchasesBetween(Dataset<Row> days, LocalDate from, LocalDate to) {
    return purchaseDays(days, from, to)
        .groupBy("customer_id")
        .agg(functions.count(lit(1)).cast("double").as("actual"));
  }

  /** The (customer_id, order_date) of the days with a sale in (from, to], from customer days. */
  public static Dataset<Row> purchaseDays(Dataset<Row> days, LocalDate from, LocalDate to) {
    return CustomerDays.before(days, to.plusDays(1))
        .where(col("order_date").gt(lit(java.sql.Date.valueOf(from))))
        .where(CustomerDays.purchase())
        .select("customer_id", "order_date");
  }
}
