package io.crmlake.common.lake;

import java.util.List;

/** Names of every table crmlake writes. The README's table reference follows this list. */
public final class Tables {
  public static final List<String> LAYERS = List.of("bronze", "silver", "gold", "ops");

  /** Every source record as read, once: raw text, parsed fields, file and position. */
  public static final TableId TRANSACTIONS_RAW = TableId.of("bronze", "transactions_raw");

  /** Clean, typed order lines: one row per valid source record. */
  public static final TableId TRANSACTIONS = TableId.of("silver", "transactions");

  /** Quarantine: every source record that failed validation, with a reason. */
  public static final TableId TRANSACTIONS_REJECTED = TableId.of("silver", "transactions_rejected");

  /** Frequent itemsets of the baskets job. */
  public static final TableId FREQUENT_ITEMSETS = TableId.of("gold", "frequent_itemsets");

  /** Association rules with interest measures. */
  public static final TableId ASSOCIATION_RULES = TableId.of("gold", "association_rules");

  /** Next-product recommendations per customer. */
  public static final TableId PRODUCT_RECOMMENDATIONS =
      TableId.of("gold", "product_recommendations");

  /** Behaviour features per customer and as-of date (shared by segments, churn and CLV). */
  public static final TableId CUSTOMER_FEATURES = TableId.of("gold", "customer_features");

  /** RFM scores, classes per scheme, pyramid tier and cluster per customer and as-of date. */
  public static final TableId CUSTOMER_SEGMENTS = TableId.of("gold", "customer_segments");

  /** Size, revenue share and R/F/M statistics of every class, tier and cluster per as-of date. */
  public static final TableId SEGMENT_PROFILES = TableId.of("gold", "segment_profiles");

  /** Silhouette of every (K, seed) tried by the segments job, per model version. */
  public static final TableId CLUSTER_SELECTION = TableId.of("gold", "cluster_selection");

  /** Customer lifetime value per customer (BG/NBD + Gamma-Gamma). */
  public static final TableId CLV = TableId.of("gold", "clv");

  /** Parameters and fit statistics of every BG/NBD and Gamma-Gamma fit. */
  public static final TableId CLV_MODELS = TableId.of("gold", "clv_models");

  /** Predicted vs actual holdout purchases of every calibration fit. */
  public static final TableId CLV_VALIDATION = TableId.of("gold", "clv_validation");

  /** One row per job run (also failed ones). */
  public static final TableId JOB_RUNS = TableId.of("ops", "job_runs");

  /** One row per landing file ingested: the memory that makes ingest incremental. */
  public static final TableId INGESTED_FILES = TableId.of("ops", "ingested_files");

  private Tables() {}
}
