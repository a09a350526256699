package io.crmlake.churn;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.date_add;
import static org.apache.spark.sql.functions.datediff;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.when;

import io.crmlake.features.CustomerDays;
import java.time.LocalDate;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Customer-relationship lifecycle stages (after Dwyer, Schurr and Oh, "Developing Buyer-Seller
 * Relationships", J. Marketing 1987), from the purchase days before an as-of date A. Rules, first
 * match wins:
 *
 * <ol>
 *   <li>{@code churned}: no purchase in the last {@code horizonDays} (recency &gt; horizon — the
 *       churn label's definition);
 *   <li>{@code exploration}: at most {@code explorationMaxPurchaseDays} purchase days, or tenure (A
 *       − first purchase) of at most {@code trendWindowDays};
 *   <li>{@code decline}: recency at least {@code declineRecencyRatio} × the customer's mean gap
 *       between purchase days, or rate ratio at most {@code declineRateRatio};
 *   <li>{@code formation}: rate ratio at least {@code formationRateRatio};
 *   <li>{@code stability}: otherwise.
 * </ol>
 *
 * The rate ratio is (purchase days in the last w days / w) ÷ (purchase days before them / (tenure −
 * w)), w = {@code trendWindowDays}. For a churned customer, {@code left_stage} is the stage by the
 * same rules as of the day after their last purchase, and {@code churn_type} names it:
 * early_quitter (exploration), drop_out (formation), early_exit (stability), faded_out (decline).
 */
public final class Lifecycle {
  private Lifecycle() {}

  /** The thresholds ({@code churn.lifecycle.*} and {@code churn.horizon-days}). */
  public record Thresholds(
      int horizonDays,
      int explorationMaxPurchaseDays,
      int trendWindowDays,
      double formationRateRatio,
      double declineRateRatio,
      double declineRecencyRatio) {}

  /**
   * Per customer with a sale before {@code asOf}, from {@link CustomerDays}: {@code
   * lifecycle_stage}, {@code left_stage} and {@code churn_type} (both null unless churned).
   */
  public static Dataset<Row> stages(Dataset<Row> customerDays, LocalDate asOf, Thresholds th) {
    int w = th.trendWindowDays();
    Dataset<Row> days =
        CustomerDays.before(customerDays, asOf)
            .where(CustomerDays.purchase())
            .select(col("customer_id"), col("order_date"));
    Dataset<Row> span =
        days.groupBy("customer_id")
            .agg(min("order_date").as("first_day"), max("order_date").as("last_day"));
    Column a = lit(java.sql.Date.valueOf(asOf));
    Column end = date_add(col("last_day"), 1);
    Dataset<Row> counts =
        days.join(span, "customer_id")
            .groupBy("customer_id", "first_day", "last_day")
            .agg(
                count(lit(1)).as("purchase_days"),
                count(when(datediff(a, col("order_date")).leq(w), lit(1))).as("recent"),
                count(when(datediff(end, col("order_date")).leq(w), lit(1))).as("recent_at_last"));
    Column stageNow =
        stage(
            th,
            datediff(a, col("last_day")),
            datediff(a, col("first_day")),
            col("purchase_days"),
            col("recent"));
    Column stageAtLast =
        stage(
            th,
            lit(1),
            datediff(end, col("first_day")),
            col("purchase_days"),
            col("recent_at_last"));
    Column left = when(stageNow.equalTo("churned"), stageAtLast);
    return counts.select(
        col("customer_id"),
        stageNow.as("lifecycle_stage"),
        left.as("left_stage"),
        when(left.equalTo("exploration"), "early_quitter")
            .when(left.equalTo("formation"), "drop_out")
            .when(left.equalTo("stability"), "early_exit")
            .when(left.equalTo("decline"), "faded_out")
            .as("churn_type"));
  }

  /** The rules, on a customer's recency, tenure, purchase days and purchase days in the window. */
  static Column stage(
      Thresholds th, Column recency, Column tenure, Column purchaseDays, Column recent) {
    int w = th.trendWindowDays();
    Column meanGap = datediff(col("last_day"), col("first_day")).divide(purchaseDays.minus(1));
    Column ratio =
        recent.divide(lit((double) w)).divide(purchaseDays.minus(recent).divide(tenure.minus(w)));
    return when(recency.gt(th.horizonDays()), "churned")
        .when(purchaseDays.leq(th.explorationMaxPurchaseDays()).or(tenure.leq(w)), "exploration")
        .when(
            recency
                .geq(meanGap.multiply(th.declineRecencyRatio()))
                .or(ratio.leq(th.declineRateRatio())),
            "decline")
        .when(ratio.geq(th.formationRateRatio()), "formation")
        .otherwise("stability");
  }
}
