package io.crmlake.segments;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import io.crmlake.common.lake.Table;
import java.util.List;

/**
 * The tables the segments job writes: customer features, segments, their profiles, cohort retention
 * and the KMeans trials. Each declaration gives the table's place, write mode, schema and the
 * meaning of every column; the writes, the Delta comments and {@code docs/tables.md} come from it.
 * {@link #ALL} is the order in which a run writes them.
 */
public final class SegmentsTables {
  /** Filled by {@link io.crmlake.features.CustomerFeatures#compute}. */
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

  /**
   * Filled by {@link SegmentsJob}'s clusters: {@link Clustering#assign} on RFM classes and tiers.
   */
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

  /** Filled by {@link SegmentProfiles#of}. */
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

  /** Filled by {@link Cohorts#retention}. */
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

  /** Filled by {@link Clustering#select}: one row per trial of a training run. */
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

  /** Every table of the job, in the order a run writes them. */
  public static final List<Table> ALL =
      List.of(
          CUSTOMER_FEATURES,
          CUSTOMER_SEGMENTS,
          SEGMENT_PROFILES,
          COHORT_RETENTION,
          CLUSTER_SELECTION);

  private SegmentsTables() {}
}
