package io.crmlake.publish;

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

/**
 * The tables the publish job writes: the CRM's view of a customer, its history, summaries and
 * action lists. Each declaration gives the table's place, write mode, schema and the meaning of
 * every column; the writes, the Delta comments and {@code docs/tables.md} come from it. {@link
 * #ALL} is the order in which a run writes them.
 */
public final class PublishTables {
  private static final DataType STRINGS = new ArrayType(StringType, true);

  /** Filled by {@link CustomerScores#assemble} and {@link CustomerScores#withStamps}, merged. */
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

  /** Filled by {@link PublishJob#historyAndMigration}. */
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

  /** Filled by {@link Summaries#migration}. */
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

  /** Filled by {@link Summaries#segmentSummary}. */
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

  /** Filled by {@link ActionLists#retention}. */
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

  /** Filled by {@link ActionLists#winback}. */
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

  /** Filled by {@link ActionLists#crossSell}. */
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

  /** Every table of the job, in the order a run writes them. */
  public static final List<Table> ALL =
      List.of(
          CUSTOMER_SCORES,
          CUSTOMER_SCORES_HISTORY,
          SEGMENT_MIGRATION,
          SEGMENT_SUMMARY,
          RETENTION_TARGETS,
          WINBACK_TARGETS,
          CROSS_SELL_TARGETS);

  private PublishTables() {}
}
