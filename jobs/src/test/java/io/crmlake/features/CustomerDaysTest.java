package io.crmlake.features;

import static io.crmlake.testing.CustomerLines.line;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crmlake.clv.ClvSettings;
import io.crmlake.clv.ClvSummary;
import io.crmlake.common.testing.DatasetAssert;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.testing.CustomerLines;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Customer days, and the features computed from them, against the order lines directly.
 *
 * <p>Worked by hand: customer A buys order a1 on 01-10 (categories x and y) whose last line is
 * delivered on 01-20 (category z), order a2 on 01-20 (category x), and returns 5 on 01-25 (order
 * ar, category x). The days are
 *
 * <pre>
 * day    sale_lines sales net new_orders new_categories
 * 01-10  2          30    30  1 (a1)     2 (x, y)
 * 01-20  2          15    15  1 (a2)     1 (z)
 * 01-25  0          0     -5  0          0
 * </pre>
 *
 * so as of 01-15 A has 1 order, 2 categories; as of 01-21, 2 orders (a1 is not counted again on
 * 01-20), 3 categories, 2 purchase days, net 45; as of 02-01 net 40 with a return rate 5/45.
 */
class CustomerDaysTest extends SparkTestBase {
  static LocalDate jan(int day) {
    return LocalDate.of(2024, 1, day);
  }

  @Test
  void theDaysOfTheWorkedExample() {
    Dataset<Row> lines =
        spark.createDataFrame(
            List.of(
                line("A", "a1", jan(10), "20.00", "x"),
                line("A", "a1", jan(10), "10.00", "y"),
                line("A", "a1", jan(20), "5.00", "z"),
                line("A", "a2", jan(20), "10.00", "x"),
                line("A", "ar", jan(25), "-5.00", "x")),
            CustomerLines.SCHEMA);
    Dataset<Row> days = CustomerDays.of(lines).cache();
    Map<LocalDate, String> byDay = new HashMap<>();
    for (Row r :
        days.selectExpr(
                "order_date",
                "format_string('%d %d %d %d %d', sale_lines, cast(sales as int),"
                    + " cast(net as int), new_orders, new_categories)")
            .collectAsList()) {
      byDay.put(r.getDate(0).toLocalDate(), r.getString(1));
    }
    assertEquals(
        Map.of(jan(10), "2 30 30 1 2", jan(20), "2 15 15 1 1", jan(25), "0 0 -5 0 0"), byDay);
    assertEquals(List.of(1L, 2L), figures(days, jan(15), "frequency", "distinct_categories"));
    assertEquals(
        List.of(2L, 3L, 2L, 45.0),
        figures(days, jan(21), "frequency", "distinct_categories", "purchase_days", "monetary"));
    assertEquals(
        List.of(40.0, 5.0 / 45),
        figures(days, LocalDate.of(2024, 2, 1), "monetary", "return_rate"));
    days.unpersist();
  }

  private static List<Object> figures(Dataset<Row> days, LocalDate asOf, String... columns) {
    Row r = CustomerFeatures.fromDays(days, asOf, Map.of()).first();
    List<Object> out = new ArrayList<>();
    for (String c : columns) {
      out.add(r.getAs(c));
    }
    return out;
  }

  /**
   * Random lines with what real data has: orders whose lines span days, returns, lines without a
   * category, an order id or a customer, customers with returns only.
   */
  static Dataset<Row> randomLines(long seed) {
    Random rnd = new Random(seed);
    List<Row> rows = new ArrayList<>();
    LocalDate start = LocalDate.of(2023, 1, 1);
    String[] categories = {"a", "b", "c", "d", null};
    for (int c = 0; c < 40; c++) {
      String customer = c == 39 ? null : "c" + c;
      int orders = 1 + rnd.nextInt(12);
      for (int o = 0; o < orders; o++) {
        LocalDate d = start.plusDays(rnd.nextInt(730));
        String order = rnd.nextInt(25) == 0 ? null : customer + "-" + o;
        boolean returnsOnly = c % 13 == 5;
        for (int l = 0, n = 1 + rnd.nextInt(4); l < n; l++) {
          LocalDate day = rnd.nextInt(6) == 0 ? d.plusDays(1 + rnd.nextInt(40)) : d;
          boolean ret = returnsOnly || rnd.nextInt(8) == 0;
          String amount =
              (ret ? "-" : "") + (1 + rnd.nextInt(9000)) / 100 + "." + rnd.nextInt(10) + "5";
          rows.add(line(customer, order, day, amount, categories[rnd.nextInt(categories.length)]));
        }
      }
    }
    return spark.createDataFrame(rows, CustomerLines.SCHEMA);
  }

  /** The features as of a date, straight from the lines: distinct counts of the lines before it. */
  static Dataset<Row> bruteForce(Dataset<Row> lines, LocalDate asOf) {
    lines.createOrReplaceTempView("lines");
    String a = "date'" + asOf + "'";
    return spark.sql(
        "SELECT customer_id, "
            + a
            + " AS as_of_date, first_purchase_date, last_purchase_date,"
            + " datediff("
            + a
            + ", last_purchase_date) AS recency_days, frequency, purchase_days, monetary,"
            + " gross_sales, returned_amount, datediff("
            + a
            + ", first_purchase_date) AS tenure_days, monetary / frequency AS avg_order_value,"
            + " CASE WHEN purchase_days > 1 THEN datediff(last_purchase_date, first_purchase_date)"
            + " / (purchase_days - 1) END AS avg_gap_days, distinct_categories,"
            + " CASE WHEN gross_sales > 0 THEN returned_amount / gross_sales ELSE 0.0 END"
            + " AS return_rate FROM (SELECT customer_id,"
            + " min(CASE WHEN NOT is_return THEN order_date END) AS first_purchase_date,"
            + " max(CASE WHEN NOT is_return THEN order_date END) AS last_purchase_date,"
            + " count(DISTINCT CASE WHEN NOT is_return THEN order_id END) AS frequency,"
            + " count(DISTINCT CASE WHEN NOT is_return THEN order_date END) AS purchase_days,"
            + " CAST(sum(amount) AS DOUBLE) AS monetary,"
            + " CAST(sum(CASE WHEN NOT is_return THEN amount ELSE 0 END) AS DOUBLE) AS gross_sales,"
            + " CAST(sum(CASE WHEN is_return THEN -amount ELSE 0 END) AS DOUBLE)"
            + " AS returned_amount,"
            + " count(DISTINCT CASE WHEN NOT is_return THEN category END) AS distinct_categories"
            + " FROM lines WHERE customer_id IS NOT NULL AND order_date < "
            + a
            + " GROUP BY customer_id) WHERE frequency > 0");
  }

  /** The BG/NBD summary in weeks up to and including {@code end}, straight from the lines. */
  static Dataset<Row> bruteForceSummary(Dataset<Row> lines, LocalDate end) {
    lines.createOrReplaceTempView("lines");
    String e = "date'" + end + "'";
    return spark.sql(
        "SELECT customer_id, first_purchase_date, last_purchase_date,"
            + " CAST(n - 1 AS DOUBLE) AS frequency,"
            + " datediff(last_purchase_date, first_purchase_date) / 7 AS recency,"
            + " datediff("
            + e
            + ", first_purchase_date) / 7 AS t,"
            + " CASE WHEN n > 1 THEN (total - first_purchase_value) / (n - 1) END"
            + " AS monetary_value, first_purchase_value FROM (SELECT customer_id,"
            + " min(order_date) AS first_purchase_date, max(order_date) AS last_purchase_date,"
            + " count(*) AS n, sum(value) AS total, min_by(value, order_date)"
            + " AS first_purchase_value FROM (SELECT customer_id, order_date,"
            + " CAST(sum(amount) AS DOUBLE) AS value FROM lines WHERE customer_id IS NOT NULL"
            + " AND NOT is_return AND order_date <= "
            + e
            + " GROUP BY customer_id, order_date) GROUP BY customer_id)");
  }

  /**
   * The days of the whole history give, as of any date, the features of the lines before it counted
   * directly: distinct orders, days and categories, sums; the BG/NBD summary alike.
   */
  @Test
  void featuresAsOfAnyDateAreTheDistinctCountsOfTheLinesBeforeIt() {
    Dataset<Row> lines = randomLines(7).cache();
    Dataset<Row> days = CustomerDays.of(lines).cache();
    for (String date : List.of("2023-02-01", "2023-09-15", "2024-06-01", "2025-03-01")) {
      LocalDate asOf = LocalDate.parse(date);
      DatasetAssert.assertSameRows(
          bruteForce(lines, asOf), CustomerFeatures.fromDays(days, asOf, Map.of()), 1e-12);
      DatasetAssert.assertSameRows(
          bruteForce(lines, asOf), CustomerFeatures.compute(lines, asOf), 1e-12);
      LocalDate end = asOf.minusDays(1);
      DatasetAssert.assertSameRows(
          bruteForceSummary(lines, end),
          ClvSummary.fromDays(days, end, ClvSettings.TimeUnit.WEEK),
          1e-12);
      DatasetAssert.assertSameRows(
          bruteForceSummary(lines, end),
          ClvSummary.summarize(lines, end, ClvSettings.TimeUnit.WEEK),
          1e-12);
    }
    days.unpersist();
    lines.unpersist();
  }
}
