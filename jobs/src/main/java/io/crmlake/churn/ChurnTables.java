package io.crmlake.churn;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import io.crmlake.common.lake.Table;
import java.util.List;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructType;

/**
 * The tables the churn job writes: model metrics, feature importances and scores. Each declaration
 * gives the table's place, write mode, schema and the meaning of every column; the writes, the
 * Delta comments and {@code docs/tables.md} come from it. {@link #ALL} is the order in which a run
 * writes them.
 */
public final class ChurnTables {
  private static final DataType STRINGS = new ArrayType(StringType, true);

  private static final DataType DECILES =
      new ArrayType(
          new StructType()
              .add("decile", IntegerType, false)
              .add("customers", LongType, false)
              .add("churners", LongType, false)
              .add("churn_rate", DoubleType, false)
              .add("lift", DoubleType, false)
              .add("cumulative_capture", DoubleType, false),
          false);

  private static final DataType CALIBRATION =
      new ArrayType(
          new StructType()
              .add("decile", IntegerType, false)
              .add("customers", LongType, false)
              .add("mean_predicted", DoubleType, false)
              .add("observed_rate", DoubleType, false),
          false);

  private static final DataType ROC_CURVE =
      new ArrayType(
          new StructType()
              .add("threshold", DoubleType, false)
              .add("false_positive_rate", DoubleType, false)
              .add("true_positive_rate", DoubleType, false),
          false);

  private static final DataType PR_CURVE =
      new ArrayType(
          new StructType()
              .add("threshold", DoubleType, false)
              .add("recall", DoubleType, false)
              .add("precision", DoubleType, false),
          false);

  /** Filled by {@link ChurnModelRecords#metricRows}; chosen by {@link ChurnModelSelection}. */
  public static final Table CHURN_MODEL_METRICS =
      Table.builder("gold", "churn_model_metrics", "churn")
          .comment(
              "Holdout evaluation of every churn candidate and baseline of every training run;"
                  + " the chosen row names the model that scores (README, Churn).")
          .append()
          .column("model_version", StringType, "The churn training run (models/churn/<version>).")
          .column(
              "candidate",
              StringType,
              "logistic, random-forest, gbt; baselines: recency (recency_days alone) and p_alive"
                  + " (1 − BG/NBD P(alive) alone).")
          .column("kind", StringType, "model or baseline.")
          .column("chosen", BooleanType, "The candidate with the highest holdout PR AUC.")
          .column(
              "params",
              new MapType(StringType, StringType, true),
              "Hyper-parameters chosen on the training cutoffs (empty for baselines).")
          .column(
              "grid_pr_auc",
              DoubleType,
              "PR AUC of the chosen parameters in the grid search (training cutoffs only).")
          .column("roc_auc", DoubleType, "Holdout ROC AUC of the churn score.")
          .column(
              "pr_auc",
              DoubleType,
              "Holdout PR AUC: average precision, Σ (recall step) × precision.")
          .column(
              "log_loss",
              DoubleType,
              "Log loss of the calibrated probability on the evaluation half of the holdout.")
          .column("brier", DoubleType, "Brier score of the calibrated probability, same half.")
          .column(
              "calibration_error",
              DoubleType,
              "Expected calibration error over the calibration deciles: Σ share × |predicted −"
                  + " observed|.")
          .column(
              "deciles",
              DECILES,
              "Per decile of the holdout churn score (1 = highest): customers, churners, churn"
                  + " rate, lift over the holdout rate and cumulative capture of all churners.")
          .column(
              "calibration",
              CALIBRATION,
              "Reliability table: per decile of calibrated probability on the evaluation half,"
                  + " mean predicted probability and observed churn rate.")
          .column(
              "roc_curve",
              ROC_CURVE,
              "Holdout ROC curve of the churn score: one point per score bin (about 100"
                  + " bins of equal size, as MLlib's BinaryClassificationMetrics numBins).")
          .column(
              "pr_curve",
              PR_CURVE,
              "Holdout precision-recall curve of the churn score, same thresholds.")
          .column("train_rows", LongType, "Training rows (customer × training cutoff).")
          .column("train_churn_rate", DoubleType, "Share of training rows churned.")
          .column("holdout_rows", LongType, "Holdout rows (customers at the holdout cutoff).")
          .column("holdout_churn_rate", DoubleType, "Share of holdout rows churned.")
          .column(
              "calibration_rows",
              LongType,
              "Holdout rows the calibration was fitted on (half, by customer id hash).")
          .column(
              "evaluation_rows",
              LongType,
              "Holdout rows log loss, Brier and calibration are measured on (the other half).")
          .column("train_cutoffs", new ArrayType(DateType, true), "The training cutoffs.")
          .column("holdout_cutoff", DateType, "The holdout cutoff (the latest labelled one).")
          .column("horizon_days", IntegerType, "Churn horizon (churn.horizon-days).")
          .column("lookback_days", IntegerType, "Population lookback (churn.lookback-days).")
          .column("trained_at", TimestampType, "When the run trained it.")
          .build();

  /** Filled by {@link ChurnModelRecords#importanceRows}. */
  public static final Table CHURN_FEATURE_IMPORTANCE =
      Table.builder("gold", "churn_feature_importance", "churn")
          .comment("Feature importance of every churn candidate of every training run.")
          .append()
          .column("model_version", StringType, "The churn training run.")
          .column("candidate", StringType, "logistic, random-forest or gbt.")
          .column("chosen", BooleanType, "The candidate that scores.")
          .column("feature", StringType, "Feature name (README, Churn).")
          .column(
              "importance",
              DoubleType,
              "impurity: MLlib's tree importance (sums to 1); abs_coefficient_x_std: |logistic"
                  + " coefficient| × the feature's standard deviation.")
          .column("rank", IntegerType, "1 = most important.")
          .column("method", StringType, "impurity or abs_coefficient_x_std.")
          .build();

  /** Filled by {@link ChurnScoring#score}; top_reasons by {@link ChurnReasons}. */
  public static final Table CHURN_SCORES =
      Table.builder("gold", "churn_scores", "churn")
          .comment(
              "Calibrated churn probability, risk band, reasons and lifecycle stage per customer"
                  + " active as of a date; replaced per as-of date.")
          .replacePartition("as_of_date")
          .column(
              "customer_id",
              StringType,
              "Customer with a purchase in the churn.lookback-days before as_of_date.")
          .column("as_of_date", DateType, "Scores use the lines dated strictly before it.")
          .column(
              "churn_probability",
              DoubleType,
              "Calibrated probability of no purchase in the churn.horizon-days from as_of_date.")
          .column("churn_score", DoubleType, "The classifier's score before calibration.")
          .column("risk_band", StringType, "Band of churn_probability (churn.risk-bands).")
          .column(
              "risk_decile",
              IntegerType,
              "Decile of churn_probability among the scored customers; 1 = highest risk.")
          .column(
              "top_reasons",
              STRINGS,
              "Features that push this customer's score up most (score fall when set to the"
                  + " training median), largest first.")
          .column(
              "lifecycle_stage",
              StringType,
              "exploration, formation, stability, decline or churned (README, Churn).")
          .column("left_stage", StringType, "For churned customers: the stage they left in.")
          .column(
              "churn_type",
              StringType,
              "For churned customers: early_quitter, drop_out, early_exit or faded_out.")
          .column("recency_days", IntegerType, "as_of_date − last purchase.")
          .column("purchase_days", LongType, "Distinct purchase days before as_of_date.")
          .column("tenure_days", IntegerType, "as_of_date − first purchase.")
          .column("p_alive", DoubleType, "BG/NBD P(alive), fitted on the data before as_of_date.")
          .column(
              "expected_purchases",
              DoubleType,
              "BG/NBD expected purchases over the churn horizon, same fit.")
          .column("model", StringType, "The scoring candidate (logistic, random-forest, gbt).")
          .column("model_version", StringType, "The training run of the model.")
          .build();

  /** Every table of the job, in the order a run writes them. */
  public static final List<Table> ALL =
      List.of(CHURN_MODEL_METRICS, CHURN_FEATURE_IMPORTANCE, CHURN_SCORES);

  private ChurnTables() {}
}
