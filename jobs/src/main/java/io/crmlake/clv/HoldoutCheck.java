package io.crmlake.clv;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * The calibration/holdout check of a clv run: the calibration fit's predictions for the holdout
 * period against what the calibration customers bought in it, per frequency group ({@code
 * gold.clv_validation}) and cumulated day by day ({@code gold.clv_tracking}). Only aggregates reach
 * the driver: a row per group or per holdout day, never one per customer.
 */
final class HoldoutCheck {
  private HoldoutCheck() {}

  /**
   * Predicted vs actual repeat purchases in the holdout, overall ("all") and by calibration
   * frequency (0 … 6, 7+): customers, totals, means and the mean absolute error per customer.
   */
  static Dataset<Row> validation(
      Dataset<Row> calibration,
      Dataset<Row> actual,
      BgNbd bg,
      double holdout,
      String version,
      LocalDate calEnd,
      LocalDate obsEnd) {
    Dataset<Row> joined =
        ClvModels.predictHoldout(calibration, bg, holdout)
            .join(actual, "customer_id", "left")
            .select(
                col("frequency"), col("predicted"), coalesce(col("actual"), lit(0.0)).as("actual"));
    Dataset<Row> grouped =
        joined.withColumn(
            "frequency_group",
            when(col("frequency").geq(7), lit("7+"))
                .otherwise(col("frequency").cast("int").cast("string")));
    Dataset<Row> byGroup = aggregate(grouped.groupBy("frequency_group"));
    Dataset<Row> overall =
        aggregate(grouped.withColumn("frequency_group", lit("all")).groupBy("frequency_group"));
    return byGroup
        .unionByName(overall)
        .select(
            lit(version).as("model_version"),
            lit(java.sql.Date.valueOf(calEnd)).as("calibration_end"),
            lit(java.sql.Date.valueOf(obsEnd)).as("observation_end"),
            lit(holdout).as("holdout_length"),
            col("frequency_group"),
            col("customers"),
            col("actual_total"),
            col("predicted_total"),
            col("actual_mean"),
            col("predicted_mean"),
            col("mae"));
  }

  /** Points of gold.clv_tracking at most. */
  static final int TRACKING_POINTS = 26;

  /**
   * Cumulative actual and predicted repeat purchases of the calibration customers over the holdout,
   * at up to {@link #TRACKING_POINTS} evenly spaced days: the predicted sums are one aggregation of
   * an array per customer, the actual ones come from purchase days counted per holdout day (one row
   * per day reaches the driver, never one per customer).
   */
  static Dataset<Row> tracking(
      org.apache.spark.sql.SparkSession spark,
      Dataset<Row> calibration,
      Dataset<Row> customerDays,
      BgNbd bg,
      double daysPerUnit,
      String version,
      LocalDate calEnd,
      LocalDate obsEnd) {
    int days = (int) ChronoUnit.DAYS.between(calEnd, obsEnd);
    TrackingPoints points = TrackingPoints.of(days, daysPerUnit);
    double[] predicted = predictedCumulative(calibration, bg, points.horizons());
    long[] perDay = purchaseDaysPerDay(customerDays, calibration, calEnd, obsEnd);
    List<Row> rows = new ArrayList<>();
    long cumulative = 0;
    int day = 0;
    for (int k = 0; k < points.offsets().length; k++) {
      while (day < points.offsets()[k]) {
        cumulative += perDay[++day];
      }
      rows.add(
          RowFactory.create(
              version,
              java.sql.Date.valueOf(calEnd),
              java.sql.Date.valueOf(calEnd.plusDays(points.offsets()[k])),
              points.offsets()[k],
              (double) cumulative,
              predicted[k]));
    }
    return spark.createDataFrame(rows, ClvTables.CLV_TRACKING.schema());
  }

  /**
   * The tracking days: up to {@link #TRACKING_POINTS} evenly spaced offsets from the calibration
   * end (the last the holdout's last day), and each offset in time units.
   */
  record TrackingPoints(int[] offsets, double[] horizons) {
    static TrackingPoints of(int days, double daysPerUnit) {
      int points = Math.min(days, TRACKING_POINTS);
      int[] offsets = new int[points];
      double[] horizons = new double[points];
      for (int k = 0; k < points; k++) {
        offsets[k] = (int) Math.round((double) days * (k + 1) / points);
        horizons[k] = offsets[k] / daysPerUnit;
      }
      return new TrackingPoints(offsets, horizons);
    }
  }

  /**
   * Σ over the calibration customers of BG/NBD's expected purchases up to each horizon: one
   * aggregation of an array per customer.
   */
  private static double[] predictedCumulative(
      Dataset<Row> calibration, BgNbd bg, double[] horizons) {
    org.apache.spark.sql.expressions.UserDefinedFunction expected =
        functions.udf(
            (org.apache.spark.sql.api.java.UDF3<Double, Double, Double, double[]>)
                (x, tx, t) -> {
                  double[] e = new double[horizons.length];
                  for (int k = 0; k < e.length; k++) {
                    e[k] = bg.expectedPurchases(horizons[k], x, tx, t);
                  }
                  return e;
                },
            DataTypes.createArrayType(DataTypes.DoubleType, false));
    double[] predicted = new double[horizons.length];
    for (Row r :
        calibration
            .select(
                functions.posexplode(expected.apply(col("frequency"), col("recency"), col("t"))))
            .groupBy("pos")
            .agg(sum("col"))
            .collectAsList()) {
      predicted[r.getInt(0)] = r.getDouble(1);
    }
    return predicted;
  }

  /**
   * Purchase days of the calibration customers on each day of the holdout, by days since the
   * calibration end (one row per day reaches the driver, never one per customer).
   */
  private static long[] purchaseDaysPerDay(
      Dataset<Row> days, Dataset<Row> calibration, LocalDate calEnd, LocalDate obsEnd) {
    long[] perDay = new long[(int) ChronoUnit.DAYS.between(calEnd, obsEnd) + 1];
    for (Row r :
        ClvSummary.purchaseDays(days, calEnd, obsEnd)
            .join(calibration.select("customer_id"), "customer_id")
            .groupBy(functions.datediff(col("order_date"), lit(java.sql.Date.valueOf(calEnd))))
            .count()
            .collectAsList()) {
      perDay[r.getInt(0)] = r.getLong(1);
    }
    return perDay;
  }

  private static Dataset<Row> aggregate(org.apache.spark.sql.RelationalGroupedDataset groups) {
    return groups.agg(
        count(lit(1)).as("customers"),
        sum("actual").as("actual_total"),
        sum("predicted").as("predicted_total"),
        avg("actual").as("actual_mean"),
        avg("predicted").as("predicted_mean"),
        avg(abs(col("predicted").minus(col("actual")))).as("mae"));
  }
}
