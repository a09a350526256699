package io.crmlake.publish;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.format_number;
import static org.apache.spark.sql.functions.format_string;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.percentile_approx;
import static org.apache.spark.sql.functions.when;

import java.sql.Date;
import java.time.LocalDate;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * The action lists a CRM team works from, each a pure function of the customers in scope (the rows
 * of {@link CustomerScores#assemble}) with a reason in words for every customer. Value thresholds
 * given as a "top share" are the approximate quantile of that share over the customers in scope,
 * computed with the list (no driver round trip). Ranks come from a sort of the list ({@link
 * #ranked}), so each function runs the sort when called; the lists are small next to the customers.
 */
public final class ActionLists {
  private ActionLists() {}

  /**
   * High value (tier in {@code retention.tiers}, or CLV in the top {@code clv-top-share}) and churn
   * probability at least {@code min-churn-probability}; ranked by churn probability × CLV.
   */
  public static Dataset<Row> retention(
      Dataset<Row> scores, PublishSettings.Retention s, LocalDate asOf) {
    Dataset<Row> t = withThreshold(scores, "clv", s.clvTopShare(), "clv_threshold");
    Column tier = col("pyramid_tier").isin(s.tiers().toArray());
    Column topClv = col("clv").geq(col("clv_threshold"));
    Dataset<Row> list =
        t.where(
                col("churn_probability")
                    .geq(s.minChurnProbability())
                    .and(coalesce(tier, lit(false)).or(coalesce(topClv, lit(false)))))
            .withColumn(
                "expected_value_lost",
                col("churn_probability").multiply(coalesce(col("clv"), lit(0.0))))
            .withColumn(
                "reason",
                concat_ws(
                    "; ",
                    when(tier, concat_ws(" ", col("pyramid_tier"), lit("tier"))),
                    when(
                        topClv,
                        format_string(
                            "CLV %.2f in the top %s%% (≥ %.2f)",
                            col("clv"), lit(percent(s.clvTopShare())), col("clv_threshold"))),
                    format_string(
                        "churn probability %.2f (%s risk)",
                        col("churn_probability"), col("risk_band")),
                    format_string("value at stake %.2f", col("expected_value_lost"))));
    return ranked(list, col("expected_value_lost").desc_nulls_last())
        .select(
            lit(Date.valueOf(asOf)).as("as_of_date"),
            col("rank"),
            col("customer_id"),
            col("pyramid_tier"),
            col("value_class"),
            col("clv"),
            col("churn_probability"),
            col("risk_band"),
            col("expected_value_lost"),
            col("churn_reasons"),
            col("reason"));
  }

  /**
   * Churned (lifecycle stage) or no purchase for {@code min-recency-days}, and high historical
   * value (tier, or net spend in the top {@code spend-top-share}); ranked by net spend, with the
   * top recommendation to lead with.
   */
  public static Dataset<Row> winback(
      Dataset<Row> scores, PublishSettings.Winback s, LocalDate asOf) {
    Dataset<Row> t = withThreshold(scores, "net_spend", s.spendTopShare(), "spend_threshold");
    Column lapsed = col("recency_days").geq(s.minRecencyDays());
    Column churned = coalesce(col("lifecycle_stage").equalTo("churned"), lit(false));
    Column tier = coalesce(col("pyramid_tier").isin(s.tiers().toArray()), lit(false));
    Column topSpend = coalesce(col("net_spend").geq(col("spend_threshold")), lit(false));
    Dataset<Row> list =
        t.where(lapsed.or(churned).and(tier.or(topSpend)))
            .withColumn(
                "reason",
                concat_ws(
                    "; ",
                    when(churned, lit("churned (lifecycle stage)")),
                    when(lapsed, format_string("no purchase for %d days", col("recency_days"))),
                    when(tier, concat_ws(" ", col("pyramid_tier"), lit("tier"))),
                    when(
                        topSpend,
                        format_string(
                            "net spend %.2f in the top %s%%",
                            col("net_spend"), lit(percent(s.spendTopShare())))),
                    when(
                        col("rec_1_item").isNotNull(),
                        concat_ws(
                            "",
                            lit("lead with "),
                            coalesce(col("rec_1_item_name"), col("rec_1_item")),
                            lit(" ("),
                            col("rec_1_reason"),
                            lit(")")))));
    return ranked(list, col("net_spend").desc_nulls_last())
        .select(
            lit(Date.valueOf(asOf)).as("as_of_date"),
            col("rank"),
            col("customer_id"),
            col("last_purchase_date"),
            col("recency_days"),
            col("lifecycle_stage"),
            col("orders"),
            col("net_spend"),
            col("pyramid_tier"),
            col("rec_1_item").as("lead_item"),
            col("rec_1_item_name").as("lead_item_name"),
            col("rec_1_rule_id").as("lead_rule_id"),
            col("reason"));
  }

  /**
   * Active customers (not churned, a purchase within {@code winback.min-recency-days}) whose top
   * recommendation scores at least {@code minScore}; ranked by that score.
   */
  public static Dataset<Row> crossSell(
      Dataset<Row> scores, double minScore, int activeDays, LocalDate asOf) {
    Dataset<Row> list =
        scores
            .where(
                col("recency_days")
                    .lt(activeDays)
                    .and(coalesce(col("lifecycle_stage"), lit("")).notEqual("churned"))
                    .and(col("rec_1_score").geq(minScore)))
            .withColumn(
                "reason",
                concat_ws(
                    "",
                    lit("offer "),
                    coalesce(col("rec_1_item_name"), col("rec_1_item")),
                    lit(": "),
                    col("rec_1_reason"),
                    lit("; score "),
                    format_number(col("rec_1_score"), 2),
                    lit(" ≥ "),
                    lit(minScore),
                    format_string("; last purchase %d days ago", col("recency_days"))));
    return ranked(list, col("rec_1_score").desc_nulls_last())
        .select(
            lit(Date.valueOf(asOf)).as("as_of_date"),
            col("rank"),
            col("customer_id"),
            col("rec_1_item").as("item"),
            col("rec_1_item_name").as("item_name"),
            col("rec_1_score").as("score"),
            col("rec_1_confidence").as("confidence"),
            col("rec_1_lift").as("lift"),
            col("rec_1_rule_id").as("rule_id"),
            col("churn_probability"),
            col("reason"));
  }

  /** Adds the value of {@code column} above which the top {@code share} of rows lie. */
  private static Dataset<Row> withThreshold(
      Dataset<Row> scores, String column, double share, String name) {
    Dataset<Row> threshold =
        scores.agg(
            share <= 0
                ? lit(Double.POSITIVE_INFINITY).as(name)
                : percentile_approx(col(column), lit(1.0 - share), lit(10_000)).as(name));
    return scores.crossJoin(threshold);
  }

  /**
   * Adds rank 1, 2, … by {@code order}, ties broken by customer id: the list sorted across
   * partitions, then numbered in that order (one small job counts the rows of each partition). A
   * row_number window without a partition key would move every row to a single partition.
   */
  static Dataset<Row> ranked(Dataset<Row> list, Column order) {
    Dataset<Row> sorted = list.orderBy(order, col("customer_id").asc());
    StructType schema = sorted.schema().add("rank", DataTypes.IntegerType, false);
    JavaRDD<Row> rows = sorted.javaRDD().zipWithIndex().map(ActionLists::withRank);
    return list.sparkSession().createDataFrame(rows, schema);
  }

  /** The row with its rank (its 0-based position in the sorted list + 1) as the last column. */
  private static Row withRank(Tuple2<Row, Long> numbered) {
    Row r = numbered._1();
    Object[] values = new Object[r.size() + 1];
    for (int i = 0; i < r.size(); i++) {
      values[i] = r.get(i);
    }
    values[r.size()] = Math.toIntExact(numbered._2() + 1);
    return RowFactory.create(values);
  }

  private static String percent(double share) {
    double p = share * 100;
    return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
  }
}
