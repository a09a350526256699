package io.crmlake.churn;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.crmlake.clv.BgNbd;
import io.crmlake.clv.ClvModels;
import io.crmlake.clv.ClvSettings;
import io.crmlake.clv.ClvSummary;
import io.crmlake.features.CustomerDays;
import io.crmlake.features.CustomerFeatures;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * Point-in-time churn features per customer at a cutoff T, from the lines dated strictly before T
 * only: the shared {@link CustomerFeatures} (RFM, tenure, return rate, category breadth), activity
 * in the last 30/90/180 days and its trend, basket size, and P(alive) and expected purchases over
 * the churn horizon from a BG/NBD fit on the same data ({@link #fitBgNbd}: data before T, never the
 * full period).
 *
 * <p>The population at T is the customers with a purchase in the {@code lookbackDays} before T.
 * Every row carries its {@code cutoff} and {@code last_line_date}, the latest line (sale or return)
 * its features used, so a run can prove it is before the cutoff.
 */
public final class ChurnFeatures {
  private ChurnFeatures() {}

  /**
   * The version of the features' definitions: a model is only scored with the features it was
   * trained on. 2: the orders in a window are the orders whose first sale line is in it (1: any
   * sale line).
   */
  public static final int VERSION = 2;

  /** The model's features, in the order of the feature vector. */
  public static final List<String> NAMES =
      List.of(
          "recency_days",
          "frequency",
          "purchase_days",
          "monetary",
          "tenure_days",
          "avg_order_value",
          "recency_gap_ratio",
          "single_purchase_day",
          "orders_30d",
          "orders_90d",
          "orders_180d",
          "spend_30d",
          "spend_90d",
          "spend_180d",
          "order_trend_90d",
          "spend_trend_90d",
          "return_rate",
          "distinct_categories",
          "avg_basket_lines",
          "p_alive",
          "expected_purchases");

  /** The order lines features are built from: customer lines with the columns they need. */
  public static Dataset<Row> lines(Dataset<Row> transactions) {
    return CustomerDays.lines(transactions);
  }

  /** BG/NBD fitted on the purchases before {@code cutoff} (clv.calibration-end = cutoff − 1). */
  public static BgNbd fitBgNbd(Dataset<Row> days, LocalDate cutoff, ClvSettings clv) {
    return fitBgNbd(days, cutoff, clv, null);
  }

  /**
   * BG/NBD fitted on the purchases before {@code cutoff}, from {@link CustomerDays}, starting from
   * {@code near} when given (the fit at a neighbouring cutoff: {@link ClvModels#fitBgNbd(Dataset,
   * ClvSettings, double[])}).
   */
  public static BgNbd fitBgNbd(Dataset<Row> days, LocalDate cutoff, ClvSettings clv, BgNbd near) {
    Dataset<Row> summary = ClvSummary.fromDays(days, cutoff.minusDays(1), clv.timeUnit()).cache();
    try {
      double[] from = near == null ? null : near.toArray();
      return BgNbd.of(ClvModels.fitBgNbd(summary, clv, from).fit().params());
    } finally {
      summary.unpersist(false);
    }
  }

  /**
   * Features at {@code cutoff} of the customers with a purchase in the lookback window, from {@link
   * CustomerDays} (one pass over the days before the cutoff), with {@code cutoff}, {@code
   * last_line_date}, {@code first_purchase_date}, {@code last_purchase_date}, {@code avg_gap_days}
   * and every column of {@link #NAMES} (doubles). The orders in a window are the orders whose first
   * sale line is in it.
   *
   * @param bg BG/NBD fitted on data before the cutoff
   * @param horizonUnits the churn horizon in {@code unit}s
   */
  public static Dataset<Row> at(
      Dataset<Row> days,
      LocalDate cutoff,
      int lookbackDays,
      BgNbd bg,
      double horizonUnits,
      ClvSettings.TimeUnit unit) {
    java.sql.Date t = java.sql.Date.valueOf(cutoff);
    Column age = functions.datediff(lit(t), col("order_date"));
    Map<String, Column> activity = new LinkedHashMap<>();
    activity.put("last_line_date", max("order_date"));
    activity.put("sale_lines", sum("sale_lines"));
    for (int[] w : WINDOWS) {
      Column in = age.gt(w[0]).and(age.leq(w[1]));
      String suffix = (w[0] == 0 ? "" : "prior_") + (w[1] - w[0]) + "d";
      activity.put("orders_" + suffix, coalesce(sum(when(in, col("new_orders"))), lit(0L)));
      activity.put(
          "spend_" + suffix, coalesce(sum(when(in, col("sales"))).cast("double"), lit(0.0)));
    }
    UserDefinedFunction pAlive =
        functions.udf(
            (UDF3<Double, Double, Double, Double>) bg::probabilityAlive, DataTypes.DoubleType);
    UserDefinedFunction expected =
        functions.udf(
            (UDF3<Double, Double, Double, Double>)
                (x, tx, tt) -> bg.expectedPurchases(horizonUnits, x, tx, tt),
            DataTypes.DoubleType);
    Column[] xtT = {
      ClvSummary.repeatPurchases(col("purchase_days")),
      ClvSummary.recency(col("first_purchase_date"), col("last_purchase_date"), unit),
      ClvSummary.age(col("first_purchase_date"), cutoff.minusDays(1), unit)
    };
    Dataset<Row> joined =
        CustomerFeatures.fromDays(days, cutoff, activity)
            .where(
                col("last_purchase_date")
                    .geq(lit(java.sql.Date.valueOf(cutoff.minusDays(lookbackDays)))))
            .withColumn("p_alive", pAlive.apply(xtT))
            .withColumn("expected_purchases", expected.apply(xtT));
    List<Column> out = new ArrayList<>();
    out.add(col("customer_id"));
    out.add(lit(t).as("cutoff"));
    out.add(col("last_line_date"));
    out.add(col("first_purchase_date"));
    out.add(col("last_purchase_date"));
    out.add(col("avg_gap_days"));
    for (String name : NAMES) {
      out.add(feature(name).cast("double").as(name));
    }
    return joined.select(out.toArray(new Column[0]));
  }

  /** Activity windows by age in days: (from, to], ages 1 … 30, 1 … 90, 1 … 180, 91 … 180. */
  private static final int[][] WINDOWS = {{0, 30}, {0, 90}, {0, 180}, {90, 180}};

  private static Column feature(String name) {
    return switch (name) {
      case "recency_gap_ratio" ->
          col("recency_days").divide(coalesce(col("avg_gap_days"), col("recency_days")));
      case "single_purchase_day" -> when(col("purchase_days").leq(1), 1.0).otherwise(0.0);
      case "order_trend_90d" -> col("orders_90d").minus(col("orders_prior_90d"));
      case "spend_trend_90d" -> col("spend_90d").minus(col("spend_prior_90d"));
      case "avg_basket_lines" -> col("sale_lines").divide(col("frequency"));
      default -> col(name);
    };
  }

  /**
   * Labels at {@code cutoff}: adds {@code churned} (1.0 when the customer has no sale on the {@code
   * horizonDays} days from the cutoff on, 0.0 otherwise) to the features.
   */
  public static Dataset<Row> label(
      Dataset<Row> features, Dataset<Row> days, LocalDate cutoff, int horizonDays) {
    Dataset<Row> buyers =
        days.where(
                CustomerDays.purchase()
                    .and(col("order_date").geq(lit(java.sql.Date.valueOf(cutoff))))
                    .and(
                        col("order_date")
                            .lt(lit(java.sql.Date.valueOf(cutoff.plusDays(horizonDays))))))
            .select(col("customer_id"))
            .distinct()
            .withColumn("bought", lit(true));
    return features
        .join(buyers, "customer_id", "left")
        .withColumn("churned", when(col("bought").isNull(), 1.0).otherwise(0.0))
        .drop("bought");
  }
}
