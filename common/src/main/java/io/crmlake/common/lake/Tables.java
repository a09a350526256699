package io.crmlake.common.lake;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import java.util.List;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructType;

/**
 * Every table crmlake writes, declared once: name, producing job, write mode, partitioning, schema
 * and the meaning of the table and of each column. The writes, the Delta comments ({@code DESCRIBE
 * TABLE EXTENDED}), the schema check of every run, {@code docs/tables.md} and the README's table
 * index all come from these declarations ({@code bin/crmlake docs} regenerates the documents).
 * {@link #ALL} is also the order in which a run writes its tables.
 */
public final class Tables {
  public static final List<String> LAYERS = List.of("bronze", "silver", "gold", "ops");

  /** The producer of the run log: every job writes a row. */
  public static final String EVERY_JOB = "every job";

  private static final DataType STRINGS = new ArrayType(StringType, true);
  private static final DataType MONEY = DataTypes.createDecimalType(18, 2);
  private static final DataType PRICE = DataTypes.createDecimalType(18, 4);

  public static final Table TRANSACTIONS_RAW =
      Table.builder("bronze", "transactions_raw", "ingest")
          .comment(
              "Every distinct source record once, valid or not, as read from the landing files:"
                  + " raw text, parsed fields, file and position.")
          .insertNew("line_id")
          .withoutDictionary("line_id", "raw_record", "fields.key_value.value")
          .column("line_id", StringType, "Deterministic record id (see silver.transactions).")
          .column("source", StringType, "Source name, e.g. sample or cdnow_master.")
          .column("source_file", StringType, "URI of the landing file.")
          .column("file_path", StringType, "Path of the landing file below the source location.")
          .column("record_pos", LongType, "Byte offset of the record in its file, or row index.")
          .column(
              "item_pos", IntegerType, "Index of the item in a basket-list record; 0 otherwise.")
          .column("raw_record", StringType, "The record as read.")
          .column("fields", new MapType(StringType, StringType, true), "Source column → text.")
          .column("parse_error", StringType, "Why the record could not be split, if it could not.")
          .column("ingest_run_id", StringType, "The ingest run that stored it (ops.job_runs).")
          .column("ingested_at", TimestampType, "When it was stored.")
          .build();

  public static final Table TRANSACTIONS_REJECTED =
      Table.builder("silver", "transactions_rejected", "ingest")
          .comment(
              "The quarantine: one row per source record that failed validation, with the reason.")
          .insertNew("line_id")
          .withoutDictionary("line_id", "raw_record")
          .column("line_id", StringType, "Deterministic record id (see silver.transactions).")
          .column("source", StringType, "Source name.")
          .column("source_file", StringType, "URI of the landing file.")
          .column("record_pos", LongType, "Byte offset of the record in its file, or row index.")
          .column(
              "item_pos", IntegerType, "Index of the item in a basket-list record; 0 otherwise.")
          .column("raw_record", StringType, "The record as read.")
          .column(
              "reason_code",
              StringType,
              "MALFORMED_RECORD, MISSING_FIELD, BAD_TIMESTAMP, BAD_NUMBER, NEGATIVE_PRICE or"
                  + " ZERO_QUANTITY (README, Ingest).")
          .column("reason", StringType, "Readable reason naming the column and the bad value.")
          .column("ingest_run_id", StringType, "The ingest run that rejected it (ops.job_runs).")
          .column("rejected_at", TimestampType, "When it was rejected.")
          .build();

  public static final Table TRANSACTIONS =
      Table.builder("silver", "transactions", "ingest")
          .comment(
              "Clean, typed order lines: one row per valid source record, stored exactly once.")
          .insertNew("line_id")
          .withoutDictionary("line_id", "order_id")
          .column(
              "line_id",
              StringType,
              "Deterministic id: SHA-256 (128 bits, hex) of the source name and the record's"
                  + " identity (its line-key columns, else file path and byte offset, plus item"
                  + " index for basket lists).")
          .column("source", StringType, "Source name (sample, cdnow_master, …).")
          .column(
              "order_id",
              StringType,
              "The source's order id; <file>:<offset> for basket lists;"
                  + " <customer_id>@<order_date> for sources without order ids.")
          .column(
              "customer_id",
              StringType,
              "Customer id; null for sales without a customer (kept; customer-level jobs leave"
                  + " them out).")
          .column("order_ts", TimestampType, "Order time in UTC (midnight for dates only).")
          .column("order_date", DateType, "UTC date of order_ts.")
          .column(
              "product_id",
              StringType,
              "Product id; the product name when the source has names only; null without products.")
          .column("product_name", StringType, "Product name (= id when the source has ids only).")
          .column("category", StringType, "Product category, when the source has one.")
          .column("quantity", DoubleType, "Quantity; 1 when the source has none; negative: return.")
          .column("unit_price", PRICE, "Unit price; amount / quantity for line-amount sources.")
          .column("amount", MONEY, "Line amount: quantity × unit price rounded to cents.")
          .column(
              "is_return",
              BooleanType,
              "Negative quantity or amount, or an order id with the source's cancel-prefix.")
          .column("source_file", StringType, "URI of the landing file.")
          .column("ingest_run_id", StringType, "The ingest run that stored it (ops.job_runs).")
          .column("ingested_at", TimestampType, "When it was stored.")
          .build();

  public static final Table FREQUENT_ITEMSETS =
      Table.builder("gold", "frequent_itemsets", "baskets")
          .comment(
              "Frequent itemsets of the baskets job (FP-Growth): itemsets held by at least"
                  + " baskets.min-support of the baskets.")
          .overwrite()
          .column("items", STRINGS, "The items (product ids or categories), sorted.")
          .column("size", IntegerType, "Number of items.")
          .column("count", LongType, "Baskets holding every item.")
          .column("support", DoubleType, "count / baskets.")
          .build();

  public static final Table ASSOCIATION_RULES =
      Table.builder("gold", "association_rules", "baskets")
          .comment(
              "Association rules A → C (single-item consequent) with interest measures and a"
                  + " redundancy flag.")
          .overwrite()
          .column(
              "rule_id", StringType, "Stable id of the rule (hash of antecedent and consequent).")
          .column("antecedent", STRINGS, "Items of A, sorted.")
          .column("antecedent_names", STRINGS, "Names of the items of A, in the same order.")
          .column("consequent", StringType, "The item C.")
          .column("consequent_name", StringType, "Name of C.")
          .column("antecedent_size", IntegerType, "Number of items in A.")
          .column("count", LongType, "Baskets holding A and C.")
          .column("antecedent_support", DoubleType, "Share of baskets holding A.")
          .column("consequent_support", DoubleType, "Share of baskets holding C.")
          .column("support", DoubleType, "Share of baskets holding A and C.")
          .column("confidence", DoubleType, "support / antecedent_support.")
          .column("lift", DoubleType, "confidence / consequent_support.")
          .column("leverage", DoubleType, "support − antecedent_support × consequent_support.")
          .column(
              "conviction",
              DoubleType,
              "(1 − consequent_support) / (1 − confidence); Infinity when confidence is 1.")
          .column(
              "is_redundant",
              BooleanType,
              "A rule with the same consequent and a proper-subset antecedent has at least this"
                  + " confidence.")
          .build();

  public static final Table PRODUCT_RECOMMENDATIONS =
      Table.builder("gold", "product_recommendations", "baskets")
          .comment(
              "Top-N next products per customer, from the rules that fire on what the customer"
                  + " bought in the last baskets.recent-days days.")
          .overwrite()
          .column("customer_id", StringType, "Customer id.")
          .column("rank", IntegerType, "1 = best.")
          .column("item", StringType, "Recommended item (not bought in the window).")
          .column("item_name", StringType, "Its name.")
          .column("score", DoubleType, "confidence × lift of the best rule that fires.")
          .column("confidence", DoubleType, "Confidence of that rule.")
          .column("lift", DoubleType, "Lift of that rule.")
          .column("rule_id", StringType, "That rule (gold.association_rules).")
          .column("because_bought", STRINGS, "The rule's antecedent: the explanation.")
          .column("as_of_date", DateType, "Last order date of the data the window ends on.")
          .build();

  public static final Table CUSTOMER_FEATURES =
      Table.builder("gold", "customer_features", "segments")
          .comment(
              "Behaviour features per customer and as-of date, from the lines dated strictly"
                  + " before it; shared by every customer-level job.")
          .replacePartition("as_of_date")
          .column("customer_id", StringType, "Customer id (customers with at least one sale).")
          .column("as_of_date", DateType, "Features use the lines dated strictly before it.")
          .column("first_purchase_date", DateType, "First purchase before the as-of date.")
          .column("last_purchase_date", DateType, "Last purchase before the as-of date.")
          .column("recency_days", IntegerType, "as_of_date − last_purchase_date (≥ 1).")
          .column("frequency", LongType, "Distinct orders.")
          .column("purchase_days", LongType, "Distinct days with a purchase.")
          .column("monetary", DoubleType, "Net spend: sales − returns.")
          .column("gross_sales", DoubleType, "Sales before returns.")
          .column("returned_amount", DoubleType, "Amount returned.")
          .column("tenure_days", IntegerType, "as_of_date − first_purchase_date.")
          .column("avg_order_value", DoubleType, "monetary / frequency.")
          .column(
              "avg_gap_days",
              DoubleType,
              "Days from first to last purchase / (purchase_days − 1); null with one day.")
          .column("distinct_categories", LongType, "Distinct product categories bought.")
          .column("return_rate", DoubleType, "returned_amount / gross_sales.")
          .build();

  public static final Table CUSTOMER_SEGMENTS =
      Table.builder("gold", "customer_segments", "segments")
          .comment(
              "RFM scores and classes, value pyramid tier and KMeans cluster per customer and"
                  + " as-of date.")
          .replacePartition("as_of_date")
          .column("customer_id", StringType, "Customer id.")
          .column("as_of_date", DateType, "Date the segments describe (features before it).")
          .column("recency_days", IntegerType, "Days since the last purchase.")
          .column("frequency", LongType, "Distinct orders.")
          .column("monetary", DoubleType, "Net spend.")
          .column("r_score", IntegerType, "Recency score 1–5 (5 = most recent) by quantiles.")
          .column("f_score", IntegerType, "Frequency score 1–5 by quantiles.")
          .column("m_score", IntegerType, "Monetary score 1–5 by quantiles.")
          .column("rfm_cell", StringType, "The three scores, e.g. 545.")
          .column(
              "rfm_segment",
              StringType,
              "English RFM segment (Champions, Loyal, At Risk, …) from the R score and the"
                  + " rounded mean of F and M (scheme segments.schemes.rfm_segment).")
          .column(
              "value_class",
              StringType,
              "Classic 8-class RFM value class (Important Value, …): R, F, M high or low"
                  + " against the mean (scheme segments.schemes.value_class).")
          .slot(
              "rfm_cell",
              StringType,
              "One column per classification scheme of segments.schemes: the customer's class",
              "rfm_segment",
              "value_class")
          .column("pyramid_tier", StringType, "Value pyramid tier (Platinum, Gold, Iron, Lead).")
          .column("pyramid_value", DoubleType, "What the pyramid ranks: monetary or gold.clv.clv.")
          .column("cluster_id", IntegerType, "KMeans cluster.")
          .column("cluster_label", StringType, "Cluster described from its centre.")
          .column("model_version", StringType, "The saved KMeans model that assigned the cluster.")
          .build();

  public static final Table SEGMENT_PROFILES =
      Table.builder("gold", "segment_profiles", "segments")
          .comment(
              "Size, revenue share and R/F/M statistics of every class, tier and cluster per as-of"
                  + " date.")
          .replacePartition("as_of_date")
          .column("as_of_date", DateType, "Date the segments describe.")
          .column(
              "dimension",
              StringType,
              "value_class, rfm_segment (or another scheme), pyramid_tier or cluster.")
          .column("segment", StringType, "The class, tier or cluster label.")
          .column("customers", LongType, "Customers in the segment.")
          .column("customer_share", DoubleType, "customers / all customers.")
          .column("revenue", DoubleType, "Net spend of the segment.")
          .column("revenue_share", DoubleType, "revenue / all revenue.")
          .column("mean_recency_days", DoubleType, "Mean recency (days).")
          .column("median_recency_days", DoubleType, "Median recency (approximate).")
          .column("mean_frequency", DoubleType, "Mean frequency.")
          .column("median_frequency", DoubleType, "Median frequency (approximate).")
          .column("mean_monetary", DoubleType, "Mean net spend.")
          .column("median_monetary", DoubleType, "Median net spend (approximate).")
          .build();

  public static final Table COHORT_RETENTION =
      Table.builder("gold", "cohort_retention", "segments")
          .comment(
              "Customers by first-purchase month (cohort) and months since: share still buying and"
                  + " revenue, per as-of date. A cohort-month with no line is absent (no one"
                  + " bought).")
          .replacePartition("as_of_date")
          .column("as_of_date", DateType, "Lines before this date are counted.")
          .column("cohort_month", DateType, "First day of the month of the customers' first sale.")
          .column("months_since", IntegerType, "Calendar months from the cohort month (0 = it).")
          .column(
              "cohort_customers", LongType, "Customers whose first sale is in the cohort month.")
          .column(
              "active_customers",
              LongType,
              "Cohort customers with at least one sale (not a return) in the month.")
          .column("retention", DoubleType, "active_customers / cohort_customers.")
          .column(
              "revenue", DoubleType, "Net amount (sales less returns) of the cohort in the month.")
          .column("revenue_per_customer", DoubleType, "revenue / cohort_customers.")
          .build();

  public static final Table CLUSTER_SELECTION =
      Table.builder("gold", "cluster_selection", "segments")
          .comment(
              "Every KMeans trial (K, seed) of every training run, with its silhouette: how K was"
                  + " chosen.")
          .append()
          .column("model_version", StringType, "The model the training run saved.")
          .column("as_of_date", DateType, "As-of date of the training run.")
          .column("k", IntegerType, "Number of clusters tried.")
          .column("seed", LongType, "Random seed of the trial's k-means++ initialisation.")
          .column("silhouette", DoubleType, "Silhouette (squared Euclidean) on the sample.")
          .column("cost", DoubleType, "KMeans cost (within-cluster sum of squares).")
          .column("sample_size", LongType, "Customers in the selection sample.")
          .column(
              "chosen",
              BooleanType,
              "The trial whose K (and seed, for MLlib's own initialisation) was fit on all"
                  + " customers.")
          .build();

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

  // ---- publish: the CRM's view of a customer, its history, summaries and action lists ----

  public static final Table CUSTOMER_SCORES =
      recommendationColumns(
              Table.builder("gold", "customer_scores", "publish")
                  .comment(
                      "One row per customer: the CRM's view, every score in one place (segments,"
                          + " churn, clv, baskets); merged by each publish, customers no longer in"
                          + " scope flagged, never deleted.")
                  .merge(
                      "in_scope",
                      List.of("as_of_date", "run_id", "pipeline_run_id", "updated_at"),
                      "customer_id")
                  .column("customer_id", StringType, "Customer id.")
                  .column(
                      "in_scope",
                      BooleanType,
                      "False once a publish no longer has the customer (publish.scope-days).")
                  .column(
                      "as_of_date",
                      DateType,
                      "As-of date of the publish that last changed the row (scores use the lines"
                          + " before it).")
                  .column("first_purchase_date", DateType, "First purchase.")
                  .column("last_purchase_date", DateType, "Last purchase before as_of_date.")
                  .column("recency_days", IntegerType, "as_of_date − last purchase (≥ 1).")
                  .column("orders", LongType, "Distinct orders.")
                  .column("net_spend", DoubleType, "Net spend: sales − returns.")
                  .column("avg_order_value", DoubleType, "net_spend / orders.")
                  .column("r_score", IntegerType, "RFM recency score 1–5 (5 = most recent).")
                  .column("f_score", IntegerType, "RFM frequency score 1–5.")
                  .column("m_score", IntegerType, "RFM monetary score 1–5.")
                  .column("rfm_cell", StringType, "The three scores, e.g. 545.")
                  .column("rfm_segment", StringType, "English RFM segment (Champions, At Risk, …).")
                  .column(
                      "value_class", StringType, "8-class RFM value class (Important Value, …).")
                  .column("pyramid_tier", StringType, "Value pyramid tier (Platinum … Lead).")
                  .column("cluster_id", IntegerType, "KMeans cluster.")
                  .column("cluster_label", StringType, "Cluster described from its centre.")
                  .column(
                      "segments_model_version",
                      StringType,
                      "The KMeans model behind the cluster (gold.cluster_selection).")
                  .column(
                      "churn_probability",
                      DoubleType,
                      "Calibrated probability of no purchase over the churn horizon; null for"
                          + " customers outside the churn population (no purchase in"
                          + " churn.lookback-days).")
                  .column("risk_band", StringType, "Band of churn_probability (high, medium, low).")
                  .column("risk_decile", IntegerType, "Churn risk decile; 1 = highest risk.")
                  .column(
                      "churn_reasons", STRINGS, "Features that raise this customer's churn score.")
                  .column(
                      "lifecycle_stage",
                      StringType,
                      "exploration, formation, stability, decline or churned (gold.churn_scores).")
                  .column(
                      "churn_model_version",
                      StringType,
                      "The churn model that scored (gold.churn_model_metrics).")
                  .column("p_alive", DoubleType, "BG/NBD probability the customer is alive.")
                  .column(
                      "expected_purchases",
                      DoubleType,
                      "BG/NBD expected purchases over clv.horizon.")
                  .column("clv", DoubleType, "Discounted customer lifetime value (gold.clv).")
                  .column(
                      "clv_model_version",
                      StringType,
                      "The BG/NBD + Gamma-Gamma fit behind p_alive, expected_purchases and clv."))
          .column("run_id", StringType, "The publish run that last changed the row.")
          .column(
              "pipeline_run_id",
              StringType,
              "The pipeline run that publish ran in (ops.job_runs), if any.")
          .column("updated_at", TimestampType, "When the row last changed.")
          .build();

  /** Three recommendations, each as item, name, rule, score and reason columns. */
  private static Table.Builder recommendationColumns(Table.Builder b) {
    for (int i = 1; i <= 3; i++) {
      String n = "rec_" + i + "_";
      b.column(
              n + "item",
              StringType,
              "Recommended product " + i + " (gold.product_recommendations).")
          .column(n + "item_name", StringType, "Its name.")
          .column(n + "score", DoubleType, "confidence × lift of the rule behind it.")
          .column(n + "rule_id", StringType, "The rule that explains it (gold.association_rules).")
          .column(n + "reason", StringType, "The rule in words: bought …, confidence, lift.");
    }
    return b;
  }

  public static final Table CUSTOMER_SCORES_HISTORY =
      Table.builder("gold", "customer_scores_history", "publish")
          .comment(
              "One snapshot of gold.customer_scores per as-of date (the customers in scope then);"
                  + " republishing an as-of date replaces its snapshot.")
          .replacePartition("as_of_date")
          .columnsOf(
              CUSTOMER_SCORES,
              c -> !c.equals("in_scope") && !c.equals("updated_at") && !c.equals("as_of_date"))
          .column("as_of_date", DateType, "The snapshot's as-of date.")
          .column("published_at", TimestampType, "When the snapshot was published.")
          .build();

  public static final Table SEGMENT_MIGRATION =
      Table.builder("gold", "segment_migration", "publish")
          .comment(
              "Customers whose value class, pyramid tier or churn risk band changed between the"
                  + " previous snapshot of gold.customer_scores_history and this one.")
          .replacePartition("as_of_date")
          .column("as_of_date", DateType, "The snapshot the customer moved into.")
          .column("previous_as_of_date", DateType, "The snapshot before it.")
          .column("dimension", StringType, "value_class, pyramid_tier or risk_band.")
          .column("customer_id", StringType, "Customer id.")
          .column("from_segment", StringType, "Class in the previous snapshot (null: none).")
          .column("to_segment", StringType, "Class in this snapshot (null: none).")
          .build();

  public static final Table SEGMENT_SUMMARY =
      Table.builder("gold", "segment_summary", "publish")
          .comment(
              "Per value class, RFM segment, cluster and pyramid tier: size, revenue share, medians"
                  + " and the mean churn probability and CLV of its customers in scope.")
          .replacePartition("as_of_date")
          .column("as_of_date", DateType, "The publish's as-of date.")
          .column("dimension", StringType, "value_class, rfm_segment, cluster or pyramid_tier.")
          .column("segment", StringType, "The class, segment, cluster label or tier.")
          .column("customers", LongType, "Customers in scope in the segment.")
          .column("customer_share", DoubleType, "customers / customers in scope.")
          .column("revenue", DoubleType, "Net spend of the segment.")
          .column("revenue_share", DoubleType, "revenue / net spend of all customers in scope.")
          .column("median_recency_days", DoubleType, "Median recency (approximate).")
          .column("median_orders", DoubleType, "Median orders (approximate).")
          .column("median_net_spend", DoubleType, "Median net spend (approximate).")
          .column(
              "mean_churn_probability",
              DoubleType,
              "Mean churn probability of its customers with one (null: none scored).")
          .column("churn_scored", LongType, "Customers with a churn probability.")
          .column("total_clv", DoubleType, "Sum of CLV.")
          .column("mean_clv", DoubleType, "Mean CLV of its customers with one.")
          .build();

  public static final Table RETENTION_TARGETS =
      Table.builder("gold", "retention_targets", "publish")
          .comment(
              "Action list: high-value customers (tier or CLV) at high churn risk, ranked by the"
                  + " value at stake (publish.retention.*).")
          .overwrite()
          .column("as_of_date", DateType, "The publish's as-of date.")
          .column("rank", IntegerType, "1 = most value at stake.")
          .column("customer_id", StringType, "Customer id.")
          .column("pyramid_tier", StringType, "Value pyramid tier.")
          .column("value_class", StringType, "RFM value class.")
          .column("clv", DoubleType, "Customer lifetime value.")
          .column("churn_probability", DoubleType, "Calibrated churn probability.")
          .column("risk_band", StringType, "Churn risk band.")
          .column("expected_value_lost", DoubleType, "churn_probability × clv.")
          .column("churn_reasons", STRINGS, "What raises the churn score.")
          .column("reason", StringType, "Why the customer is on the list, in words.")
          .build();

  public static final Table WINBACK_TARGETS =
      Table.builder("gold", "winback_targets", "publish")
          .comment(
              "Action list: churned or lapsed customers with high historical value, with the"
                  + " product to lead with (publish.winback.*).")
          .overwrite()
          .column("as_of_date", DateType, "The publish's as-of date.")
          .column("rank", IntegerType, "1 = highest net spend.")
          .column("customer_id", StringType, "Customer id.")
          .column("last_purchase_date", DateType, "Last purchase.")
          .column("recency_days", IntegerType, "Days since it.")
          .column("lifecycle_stage", StringType, "Churn lifecycle stage (null: not scored).")
          .column("orders", LongType, "Distinct orders.")
          .column("net_spend", DoubleType, "Net spend.")
          .column("pyramid_tier", StringType, "Value pyramid tier.")
          .column("lead_item", StringType, "Product to lead with: the top recommendation.")
          .column("lead_item_name", StringType, "Its name.")
          .column("lead_rule_id", StringType, "The rule behind it.")
          .column("reason", StringType, "Why the customer is on the list, in words.")
          .build();

  public static final Table CROSS_SELL_TARGETS =
      Table.builder("gold", "cross_sell_targets", "publish")
          .comment(
              "Action list: active customers whose best recommendation scores at least"
                  + " publish.cross-sell.min-score, ranked by that score.")
          .overwrite()
          .column("as_of_date", DateType, "The publish's as-of date.")
          .column("rank", IntegerType, "1 = strongest recommendation.")
          .column("customer_id", StringType, "Customer id.")
          .column("item", StringType, "Product to offer.")
          .column("item_name", StringType, "Its name.")
          .column("score", DoubleType, "confidence × lift of the rule.")
          .column("confidence", DoubleType, "Confidence of the rule.")
          .column("lift", DoubleType, "Lift of the rule.")
          .column("rule_id", StringType, "The rule (gold.association_rules).")
          .column("churn_probability", DoubleType, "Calibrated churn probability, if scored.")
          .column("reason", StringType, "Why the customer is on the list, in words.")
          .build();

  public static final Table INGESTED_FILES =
      Table.builder("ops", "ingested_files", "ingest")
          .comment(
              "One row per landing file ingested or rejected: what makes ingest incremental (a file"
                  + " is read once per path, size and modification time).")
          .append()
          .column("source", StringType, "Source name.")
          .column("file_uri", StringType, "URI of the file.")
          .column("file_path", StringType, "Path below the source location.")
          .column("size_bytes", LongType, "Size when ingested.")
          .column("modification_time", TimestampType, "Modification time when ingested.")
          .column("rows_read", LongType, "Records read.")
          .column("rows_stored", LongType, "Records stored in silver.transactions.")
          .column("rows_rejected", LongType, "Records quarantined.")
          .column("rows_duplicate", LongType, "Records skipped as duplicates.")
          .column("ingest_run_id", StringType, "The ingest run (ops.job_runs).")
          .column(
              "status",
              StringType,
              "INGESTED, or REJECTED: the file as a whole could not be ingested (see reason); it is"
                  + " read again once it changes.")
          .column("reason", StringType, "Why a REJECTED file was rejected (null otherwise).")
          .build();

  public static final Table JOB_RUNS =
      Table.builder("ops", "job_runs", EVERY_JOB)
          .comment(
              "One row per job run, also failed ones; DESCRIBE HISTORY of any table shows the run"
                  + " id of each write (userMetadata).")
          .append()
          .column(
              "run_id", StringType, "<job>-<utc time>-<random>; each Delta commit's userMetadata.")
          .column("job", StringType, "ingest, baskets, segments, clv, churn, publish, generate.")
          .column("config_hash", StringType, "Hash of the effective configuration.")
          .column("started_at", TimestampType, "Start time.")
          .column(
              "ended_at",
              TimestampType,
              "End time; for an INTERRUPTED run, its last heartbeat (the last sign of life).")
          .column(
              "status",
              StringType,
              "SUCCEEDED, FAILED, or INTERRUPTED: the process ended without recording the run"
                  + " (killed, machine lost); recorded by the next run of the job.")
          .column("input_rows", LongType, "Rows read.")
          .column("output_rows", LongType, "Rows written to the job's main output.")
          .column("quarantined_rows", LongType, "Rows quarantined.")
          .column("skipped_rows", LongType, "Rows skipped as duplicates.")
          .column(
              "error_message",
              StringType,
              "Why a failed run failed, or how an interrupted run was found.")
          .column(
              "metrics",
              new MapType(StringType, StringType, true),
              "The job's typed result, one entry per figure (counts, thresholds, model figures).")
          .column("spark_app_id", StringType, "Spark application id.")
          .column(
              "phase_ms",
              new MapType(StringType, LongType, true),
              "Milliseconds per phase of the run (the Spark job group names).")
          .column(
              "pipeline_run_id",
              StringType,
              "The `bin/crmlake pipeline` run this job ran in (null for a job run alone).")
          .build();

  public static final Table BENCH_RUNS =
      Table.builder("ops", "bench_runs", "bench/run")
          .comment(
              "One row per job per benchmark run (bench/run): the job's figures and those of its"
                  + " bare-Spark reference on the same data, measured in the same JVM.")
          .append()
          .column("bench_run_id", StringType, "bench-<utc time>: one benchmark run.")
          .column("measured_at", TimestampType, "When the benchmark run started.")
          .column("customers", LongType, "Customers generated for the benchmark lake.")
          .column("job", StringType, "ingest, baskets, segments, churn, clv or publish.")
          .column("input_rows", LongType, "Rows the job read (its ops.job_runs row).")
          .column("output_rows", LongType, "Rows the job wrote to its main output.")
          .column("wall_seconds", DoubleType, "Median wall time of the job's runs.")
          .column("runs", new ArrayType(DoubleType, false), "Wall time of each run of the job.")
          .column("rows_per_second", DoubleType, "input_rows / wall_seconds.")
          .column(
              "peak_heap_mb",
              LongType,
              "Sum of the driver's heap pools' peaks during the job (an upper bound), MB.")
          .column("reference", StringType, "What the bare-Spark reference does (bench/README.md).")
          .column("reference_seconds", DoubleType, "Median wall time of the reference's runs.")
          .column("reference_peak_heap_mb", LongType, "Peak driver heap of the reference, MB.")
          .column("ratio", DoubleType, "wall_seconds / reference_seconds.")
          .column("cores", IntegerType, "Cores the JVM saw.")
          .column("max_heap_mb", LongType, "The JVM's maximum heap, MB.")
          .column("java_version", StringType, "The JVM's version.")
          .build();

  /**
   * Tables written by tools outside the pipeline (the benchmark), documented with the others but
   * never written by a job.
   */
  public static final List<Table> TOOLS = List.of(BENCH_RUNS);

  /** Every table, in the order a run writes its tables (the run log last). */
  public static final List<Table> ALL =
      List.of(
          TRANSACTIONS_RAW,
          TRANSACTIONS_REJECTED,
          TRANSACTIONS,
          FREQUENT_ITEMSETS,
          ASSOCIATION_RULES,
          PRODUCT_RECOMMENDATIONS,
          CUSTOMER_FEATURES,
          CUSTOMER_SEGMENTS,
          SEGMENT_PROFILES,
          COHORT_RETENTION,
          CLUSTER_SELECTION,
          CLV,
          CLV_MODELS,
          CLV_VALIDATION,
          CLV_TRACKING,
          CHURN_MODEL_METRICS,
          CHURN_FEATURE_IMPORTANCE,
          CHURN_SCORES,
          CUSTOMER_SCORES,
          CUSTOMER_SCORES_HISTORY,
          SEGMENT_MIGRATION,
          SEGMENT_SUMMARY,
          RETENTION_TARGETS,
          WINBACK_TARGETS,
          CROSS_SELL_TARGETS,
          INGESTED_FILES,
          JOB_RUNS);

  /** Every declared table: the pipeline's, then the tools'. */
  public static List<Table> documented() {
    List<Table> all = new java.util.ArrayList<>(ALL);
    all.addAll(TOOLS);
    return List.copyOf(all);
  }

  /** A table's place in the write order. */
  public static int order(Table table) {
    for (int i = 0; i < ALL.size(); i++) {
      if (ALL.get(i).id().equals(table.id())) {
        return i;
      }
    }
    throw new IllegalArgumentException(table + " is not declared in Tables.ALL");
  }

  private Tables() {}
}
