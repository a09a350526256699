package io.crmlake.publish;

import io.crmlake.baskets.BasketsTables;
import io.crmlake.churn.ChurnTables;
import io.crmlake.clv.ClvTables;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.segments.SegmentsTables;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;

/**
 * Hand-made gold tables for publish tests: the inputs publish reads (segments, features, churn
 * scores, CLV, recommendations, rules) for a few customers, each given only the columns that
 * matter; every other declared column is null.
 *
 * <p>As of {@link #D1} (2024-06-01):
 *
 * <pre>
 * customer tier     recency orders spend churn  band   stage     clv  rec 1 (score)
 * a        Platinum    10     12   1200  0.70   high   stability 900  X (3.0)
 * b        Gold        40      5    500  0.20   low    stability 300  Y (0.5)
 * c        Iron       200      2    150  0.90   high   churned    20  Z (2.0)
 * d        Lead       300      1   2000  (not in the churn population)  5  (none)
 * </pre>
 *
 * As of {@link #D2} (2024-07-01): a and c as before; b's churn probability rises to 0.65 (band
 * high); d has left; e is new (Gold, recency 5, 1 order, 100 spent, churn 0.10 low, CLV 50).
 */
final class PublishFixture {
  static final LocalDate D1 = LocalDate.of(2024, 6, 1);
  static final LocalDate D2 = LocalDate.of(2024, 7, 1);

  private PublishFixture() {}

  /** One customer's inputs. */
  record Customer(
      String id,
      String tier,
      String valueClass,
      int recency,
      long orders,
      double spend,
      Double churn,
      String band,
      String stage,
      double clv,
      String rec,
      double recScore) {}

  static List<Customer> customers(LocalDate asOf) {
    List<Customer> out = new ArrayList<>();
    out.add(
        new Customer(
            "a",
            "Platinum",
            "Important Value",
            10,
            12,
            1200,
            0.70,
            "high",
            "stability",
            900,
            "X",
            3.0));
    out.add(
        asOf.equals(D1)
            ? new Customer(
                "b", "Gold", "Important Keep", 40, 5, 500, 0.20, "low", "stability", 300, "Y", 0.5)
            : new Customer(
                "b",
                "Gold",
                "Important Keep",
                40,
                5,
                500,
                0.65,
                "high",
                "stability",
                300,
                "Y",
                0.5));
    out.add(
        new Customer(
            "c", "Iron", "General Retain", 200, 2, 150, 0.90, "high", "churned", 20, "Z", 2.0));
    if (asOf.equals(D1)) {
      out.add(
          new Customer(
              "d", "Lead", "Important Retain", 300, 1, 2000, null, null, null, 5, null, 0));
    } else {
      out.add(
          new Customer(
              "e", "Gold", "General Develop", 5, 1, 100, 0.10, "low", "exploration", 50, "X", 1.2));
    }
    return out;
  }

  /** Writes the input tables as of {@code asOf} (replacing earlier fixture rows). */
  static void write(SparkSession spark, Lake lake, LocalDate asOf) {
    write(spark, lake, asOf, customers(asOf));
  }

  static void write(SparkSession spark, Lake lake, LocalDate asOf, List<Customer> customers) {
    Date d = Date.valueOf(asOf);
    List<Map<String, Object>> seg = new ArrayList<>();
    List<Map<String, Object>> feat = new ArrayList<>();
    List<Map<String, Object>> churn = new ArrayList<>();
    List<Map<String, Object>> clv = new ArrayList<>();
    List<Map<String, Object>> recs = new ArrayList<>();
    for (Customer c : customers) {
      seg.add(
          row(
              "customer_id",
              c.id(),
              "as_of_date",
              d,
              "recency_days",
              c.recency(),
              "frequency",
              c.orders(),
              "monetary",
              c.spend(),
              "r_score",
              3,
              "f_score",
              3,
              "m_score",
              3,
              "rfm_cell",
              "333",
              "rfm_segment",
              "Need Attention",
              "value_class",
              c.valueClass(),
              "pyramid_tier",
              c.tier(),
              "cluster_id",
              1,
              "cluster_label",
              "regulars",
              "model_version",
              "seg-1"));
      feat.add(
          row(
              "customer_id",
              c.id(),
              "as_of_date",
              d,
              "first_purchase_date",
              Date.valueOf(D1.minusDays(400)),
              "last_purchase_date",
              Date.valueOf(D1.minusDays(c.recency())),
              "avg_order_value",
              c.spend() / c.orders()));
      if (c.churn() != null) {
        churn.add(
            row(
                "customer_id",
                c.id(),
                "as_of_date",
                d,
                "churn_probability",
                c.churn(),
                "risk_band",
                c.band(),
                "risk_decile",
                1,
                "top_reasons",
                scala.jdk.javaapi.CollectionConverters.asScala(List.of("recency_ratio")).toSeq(),
                "lifecycle_stage",
                c.stage(),
                "model_version",
                "churn-1"));
      }
      clv.add(
          row(
              "customer_id",
              c.id(),
              "observation_end",
              Date.valueOf(asOf.minusDays(1)),
              "p_alive",
              0.5,
              "expected_purchases",
              1.5,
              "clv",
              c.clv(),
              "model_version",
              "clv-1"));
      if (c.rec() != null) {
        recs.add(
            row(
                "customer_id",
                c.id(),
                "rank",
                1,
                "item",
                c.rec(),
                "item_name",
                "product " + c.rec(),
                "score",
                c.recScore(),
                "confidence",
                0.5,
                "lift",
                c.recScore() / 0.5,
                "rule_id",
                "r-" + c.rec(),
                "because_bought",
                scala.jdk.javaapi.CollectionConverters.asScala(List.of("W")).toSeq(),
                "as_of_date",
                d));
      }
    }
    List<Map<String, Object>> rules = new ArrayList<>();
    for (String item : List.of("X", "Y", "Z")) {
      rules.add(
          row(
              "rule_id",
              "r-" + item,
              "antecedent_names",
              scala.jdk.javaapi.CollectionConverters.asScala(List.of("product W")).toSeq(),
              "consequent",
              item));
    }
    put(spark, lake, SegmentsTables.CUSTOMER_SEGMENTS, seg);
    put(spark, lake, SegmentsTables.CUSTOMER_FEATURES, feat);
    put(spark, lake, ChurnTables.CHURN_SCORES, churn);
    put(spark, lake, ClvTables.CLV, clv);
    put(spark, lake, BasketsTables.PRODUCT_RECOMMENDATIONS, recs);
    put(spark, lake, BasketsTables.ASSOCIATION_RULES, rules);
  }

  static Map<String, Object> row(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** Replaces the table's rows with these (undeclared keys are an error; the rest null). */
  static void put(SparkSession spark, Lake lake, Table table, List<Map<String, Object>> rows) {
    List<Row> out = new ArrayList<>();
    for (Map<String, Object> m : rows) {
      Object[] v = new Object[table.schema().size()];
      for (int i = 0; i < v.length; i++) {
        StructField f = table.schema().fields()[i];
        v[i] = m.get(f.name());
      }
      for (String k : m.keySet()) {
        if (!List.of(table.schema().fieldNames()).contains(k)) {
          throw new IllegalArgumentException(table + " has no column " + k);
        }
      }
      out.add(RowFactory.create(v));
    }
    lake.overwrite(table, spark.createDataFrame(out, table.schema()));
  }
}
