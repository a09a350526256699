package io.crmlake.clv;

import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import io.crmlake.common.lake.Table;
import java.util.List;
import org.apache.spark.sql.types.MapType;

/**
 * The tables the clv job writes: scores, fits, holdout check and tracking. Each declaration gives
 * the table's place, write mode, schema and the meaning of every column; the writes, the Delta
 * comments and {@code docs/tables.md} come from it. {@link #ALL} is the order in which a run writes
 * them.
 */
public final class ClvTables {
  /** Filled by {@link ClvModels#score}, called by {@link ClvJob#scores}. */
  public static final Table CLV =
      Table.builder("gold", "clv", "clv")
          .comment(
              "Customer lifetime value per customer and observation end (BG/NBD + Gamma-Gamma,"
                  + " full fit).")
          .replacePartition("observation_end")
          .column("customer_id", StringType, "Customer id.")
          .column("observation_end", DateType, "Last day of data used (inclusive).")
          .column("first_purchase_date", DateType, "First purchase.")
          .column("last_purchase_date", DateType, "Last purchase up to observation_end.")
          .column("frequency", DoubleType, "x: repeat purchase days.")
          .column("recency", DoubleType, "t_x: first to last purchase, in time_unit.")
          .column("t", DoubleType, "T: first purchase to observation end, in time_unit.")
          .column(
              "monetary_value",
              DoubleType,
              "Mean repeat-purchase value (same-day sales summed); null when x = 0.")
          .column("p_alive", DoubleType, "Probability the customer is still active (BG/NBD).")
          .column("expected_purchases", DoubleType, "Expected purchases over the next horizon.")
          .column("expected_avg_order_value", DoubleType, "Expected order value (Gamma-Gamma).")
          .column("clv", DoubleType, "Discounted expected value over the horizon (README, CLV).")
          .column("horizon", DoubleType, "Horizon in time units (clv.horizon).")
          .column("time_unit", StringType, "day, week or month (clv.time-unit).")
          .column("model_version", StringType, "The run whose fit scored it (gold.clv_models).")
          .build();

  /** Filled by {@link ClvJob#fitBoth}: one row per model and fit. */
  public static final Table CLV_MODELS =
      Table.builder("gold", "clv_models", "clv")
          .comment(
              "Parameters and fit statistics of every BG/NBD and Gamma-Gamma fit (calibration and"
                  + " full) of every clv run.")
          .append()
          .column("model_version", StringType, "The clv run.")
          .column("model", StringType, "bgnbd or gamma_gamma.")
          .column(
              "fit",
              StringType,
              "calibration (data to clv.calibration-end, checked on the holdout) or full (data to"
                  + " clv.observation-end; scores gold.clv).")
          .column("period_start", DateType, "First transaction date of the fit.")
          .column("period_end", DateType, "Last day of the fit's data.")
          .column("time_unit", StringType, "day, week or month.")
          .column("customers", LongType, "Customers fitted.")
          .column("likelihood", StringType, "grouped or per-customer likelihood rows.")
          .column("likelihood_rows", LongType, "Rows of the likelihood.")
          .column(
              "params",
              new MapType(StringType, DoubleType, true),
              "Parameters by the papers' names: r, alpha, a, b; p, q, gamma.")
          .column(
              "std_errors",
              new MapType(StringType, DoubleType, true),
              "Standard errors (inverse observed information), same keys.")
          .column("log_likelihood", DoubleType, "Log-likelihood at the optimum.")
          .column("iterations", IntegerType, "L-BFGS iterations, all starts.")
          .column("evaluations", LongType, "Likelihood passes over the data.")
          .column("l2_penalty", DoubleType, "L2 penalty on the log-parameters.")
          .column("fit_ms", LongType, "Fit time in milliseconds.")
          .build();

  /** Filled by {@link HoldoutCheck#validation}. */
  public static final Table CLV_VALIDATION =
      Table.builder("gold", "clv_validation", "clv")
          .comment(
              "Predicted vs actual holdout repeat purchases of every calibration fit, by"
                  + " calibration frequency.")
          .append()
          .column("model_version", StringType, "The clv run.")
          .column("calibration_end", DateType, "End of the calibration period (inclusive).")
          .column("observation_end", DateType, "End of the holdout (inclusive).")
          .column("holdout_length", DoubleType, "Holdout length in time units.")
          .column("frequency_group", StringType, "Calibration repeat purchases 0 … 6, 7+, or all.")
          .column("customers", LongType, "Customers in the group.")
          .column("actual_total", DoubleType, "Actual holdout repeat purchases.")
          .column("predicted_total", DoubleType, "Predicted holdout repeat purchases.")
          .column("actual_mean", DoubleType, "Actual per customer.")
          .column("predicted_mean", DoubleType, "Predicted per customer.")
          .column("mae", DoubleType, "Mean absolute error per customer.")
          .build();

  /** Filled by {@link HoldoutCheck#tracking}. */
  public static final Table CLV_TRACKING =
      Table.builder("gold", "clv_tracking", "clv")
          .comment(
              "Cumulative repeat purchases of the calibration customers over the holdout, actual"
                  + " and predicted by the calibration fit (as lifetimes'"
                  + " plot_cumulative_transactions), at up to 26 evenly spaced days.")
          .append()
          .column("model_version", StringType, "The clv run.")
          .column("calibration_end", DateType, "End of the calibration period (inclusive).")
          .column(
              "day", DateType, "The holdout runs from the day after calibration_end to this day.")
          .column("days_since", IntegerType, "Days from calibration_end to day.")
          .column(
              "actual_cumulative",
              DoubleType,
              "Purchase days of the calibration customers in (calibration_end, day].")
          .column(
              "predicted_cumulative",
              DoubleType,
              "Σ over the calibration customers of BG/NBD's expected purchases in the same span.")
          .build();

  /** Every table of the job, in the order a run writes them. */
  public static final List<Table> ALL = List.of(CLV, CLV_MODELS, CLV_VALIDATION, CLV_TRACKING);

  private ClvTables() {}
}
