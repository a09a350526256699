package io.crmlake.publish;

import static org.apache.spark.sql.functions.array_join;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.format_number;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;

/**
 * Assembles the CRM's one row per customer from the gold tables of the other jobs, as a pure {@code
 * Dataset → Dataset} function: customer_segments and customer_features (at the as-of date) define
 * the customers; churn_scores, clv and product_recommendations add their columns by a left join on
 * customer id (each input holds one row per customer, or per customer and rank). An absent input
 * (allowed with {@code publish.allow-missing}) leaves its columns null.
 *
 * <p>The result has every column of {@code gold.customer_scores} but the merge's flag and stamps,
 * plus {@code rec_1_confidence} and {@code rec_1_lift} for the cross-sell list.
 */
public final class CustomerScores {
  /** The columns of customer_scores that come from the inputs (not the flag and the stamps). */
  public static final List<String> COLUMNS =
      Arrays.stream(PublishTables.CUSTOMER_SCORES.schema().fieldNames())
          .filter(
              c ->
                  !PublishTables.CUSTOMER_SCORES.merge().orElseThrow().stamps().contains(c)
                      && !c.equals("in_scope"))
          .toList();

  private CustomerScores() {}

  /**
   * @param segments gold.customer_segments rows of one as-of date
   * @param features gold.customer_features rows of the same date
   * @param churn gold.churn_scores rows of one as-of date, if any
   * @param clv gold.clv rows of one observation end, if any
   * @param recommendations gold.product_recommendations, if any
   * @param rules gold.association_rules (for the names in each reason), if any
   */
  public static Dataset<Row> assemble(
      Dataset<Row> segments,
      Dataset<Row> features,
      Optional<Dataset<Row>> churn,
      Optional<Dataset<Row>> clv,
      Optional<Dataset<Row>> recommendations,
      Optional<Dataset<Row>> rules) {
    Dataset<Row> all =
        withRecommendations(
            withClv(withChurn(base(segments, features), churn), clv), recommendations, rules);
    List<Column> out = new ArrayList<>();
    for (String c : COLUMNS) {
      out.add(col(c));
    }
    out.add(col("rec_1_confidence"));
    out.add(col("rec_1_lift"));
    return all.select(out.toArray(new Column[0]));
  }

  /**
   * The rows of gold.customer_scores: the assembled columns, {@code in_scope} true, and the run's
   * stamps (as_of_date, run_id, pipeline_run_id, updated_at; a null stamp typed as its column).
   */
  static Dataset<Row> withStamps(Dataset<Row> assembled, Map<String, Object> stamps) {
    List<Column> columns = new ArrayList<>();
    for (String c : COLUMNS) {
      columns.add(col(c));
    }
    columns.add(lit(true).as("in_scope"));
    stamps.forEach((k, v) -> columns.add((v == null ? lit(null).cast(typeOf(k)) : lit(v)).as(k)));
    return assembled.select(columns.toArray(new Column[0]));
  }

  /** One row per customer of the segments, with their purchase dates and order value. */
  private static Dataset<Row> base(Dataset<Row> segments, Dataset<Row> features) {
    return segments
        .select(
            col("customer_id"),
            col("recency_days"),
            col("frequency").as("orders"),
            col("monetary").as("net_spend"),
            col("r_score"),
            col("f_score"),
            col("m_score"),
            col("rfm_cell"),
            optional(segments, "rfm_segment"),
            optional(segments, "value_class"),
            col("pyramid_tier"),
            col("cluster_id"),
            col("cluster_label"),
            col("model_version").as("segments_model_version"))
        .join(
            features.select(
                col("customer_id"),
                col("first_purchase_date"),
                col("last_purchase_date"),
                col("avg_order_value")),
            "customer_id")
        .dropDuplicates("customer_id");
  }

  private static Dataset<Row> withChurn(Dataset<Row> base, Optional<Dataset<Row>> churn) {
    return leftJoin(
        base,
        churn.map(
            c ->
                c.select(
                    col("customer_id"),
                    col("churn_probability"),
                    col("risk_band"),
                    col("risk_decile"),
                    col("top_reasons").as("churn_reasons"),
                    col("lifecycle_stage"),
                    col("model_version").as("churn_model_version"))),
        List.of(
            "churn_probability",
            "risk_band",
            "risk_decile",
            "churn_reasons",
            "lifecycle_stage",
            "churn_model_version"));
  }

  private static Dataset<Row> withClv(Dataset<Row> base, Optional<Dataset<Row>> clv) {
    return leftJoin(
        base,
        clv.map(
            c ->
                c.select(
                    col("customer_id"),
                    col("p_alive"),
                    col("expected_purchases"),
                    col("clv"),
                    col("model_version").as("clv_model_version"))),
        List.of("p_alive", "expected_purchases", "clv", "clv_model_version"));
  }

  private static Dataset<Row> withRecommendations(
      Dataset<Row> base, Optional<Dataset<Row>> recommendations, Optional<Dataset<Row>> rules) {
    List<String> recColumns = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      for (String c : List.of("item", "item_name", "score", "rule_id", "reason")) {
        recColumns.add("rec_" + i + "_" + c);
      }
    }
    recColumns.add("rec_1_confidence");
    recColumns.add("rec_1_lift");
    return leftJoin(base, recommendations.map(r -> topThree(r, rules)), recColumns);
  }

  /**
   * One row per customer with the recommendations ranked 1 to 3 side by side; each reason names the
   * products of the rule's antecedent and its confidence and lift.
   */
  static Dataset<Row> topThree(Dataset<Row> recommendations, Optional<Dataset<Row>> rules) {
    Dataset<Row> recs = recommendations.where(col("rank").leq(3));
    Column because;
    if (rules.isPresent()) {
      recs =
          recs.join(rules.get().select(col("rule_id"), col("antecedent_names")), "rule_id", "left");
      because = coalesce(col("antecedent_names"), col("because_bought"));
    } else {
      because = col("because_bought");
    }
    recs =
        recs.withColumn(
            "reason",
            concat(
                lit("bought "),
                array_join(because, ", "),
                lit(": confidence "),
                format_number(col("confidence"), 2),
                lit(", lift "),
                format_number(col("lift"), 2)));
    List<Column> aggs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      for (String c : List.of("item", "item_name", "score", "rule_id", "reason")) {
        aggs.add(first(when(col("rank").equalTo(i), col(c)), true).as("rec_" + i + "_" + c));
      }
    }
    aggs.add(first(when(col("rank").equalTo(1), col("confidence")), true).as("rec_1_confidence"));
    aggs.add(first(when(col("rank").equalTo(1), col("lift")), true).as("rec_1_lift"));
    return recs.groupBy("customer_id")
        .agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0]));
  }

  /** {@code base} left-joined with {@code other} on customer id, or with null columns. */
  private static Dataset<Row> leftJoin(
      Dataset<Row> base, Optional<Dataset<Row>> other, List<String> columns) {
    if (other.isPresent()) {
      return base.join(other.get().dropDuplicates("customer_id"), "customer_id", "left");
    }
    Dataset<Row> out = base;
    for (String c : columns) {
      out = out.withColumn(c, lit(null).cast(typeOf(c)));
    }
    return out;
  }

  private static Column optional(Dataset<Row> data, String column) {
    return Arrays.asList(data.columns()).contains(column)
        ? col(column)
        : lit(null).cast(typeOf(column)).as(column);
  }

  /** The declared type of a customer_scores column (rec_1_confidence and rec_1_lift: double). */
  static DataType typeOf(String column) {
    for (StructField f : PublishTables.CUSTOMER_SCORES.schema().fields()) {
      if (f.name().equals(column)) {
        return f.dataType();
      }
    }
    return org.apache.spark.sql.types.DataTypes.DoubleType;
  }
}
