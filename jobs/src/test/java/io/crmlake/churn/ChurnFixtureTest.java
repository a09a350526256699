package io.crmlake.churn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.crmlake.clv.BgNbd;
import io.crmlake.clv.ClvSettings;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.features.CustomerDays;
import io.crmlake.testing.CustomerLines;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Labels, point-in-time features and lifecycle stages on hand-made order lines, worked by hand.
 *
 * <p>Labels at T = 2024-03-01, horizon 30 days (the window is 2024-03-01 … 2024-03-30), lookback
 * 365 days (purchases from 2023-03-02 on count):
 *
 * <pre>
 * customer  lines                                              label
 * A         2023-09-01, 2024-01-15 (2 lines), return 02-20,    active: 03-30 is the window's
 *           2024-03-30                                         last day
 * B         2024-01-10, 2024-03-31                             churned: 03-31 = T + horizon
 * C         2024-03-05 only                                    not in the population: no history
 * D         2024-03-01 only                                    not in the population: day T is
 *                                                              the future
 * E         2024-02-20, return 2024-03-10                      churned: a return is no purchase
 * F         2023-03-01 only                                    not in the population (lookback)
 * G         2023-03-02 only                                    churned; first day of the lookback
 * H         order h1: lines on 2023-11-22 and 2024-01-01       churned
 * </pre>
 *
 * A's features at T: last purchase 2024-01-15, so recency 46 days; orders 2 on 2 days; net spend 50
 * + 30 + 10 − 10 = 80; tenure 182 days (2023-09-01); mean order 40; mean gap 136 days, so
 * recency/gap 46/136; last 30 days nothing; last 90 and 180 days the order of 01-15 (40; 09-01 is
 * 182 days back); the 90 days before that nothing, so trends +1 order, +40; return rate 10/90; 2
 * categories; 3 sale lines / 2 orders = 1.5 lines per basket; latest line used: the return of
 * 02-20. BG/NBD (x, t_x, T) in weeks: (1, 136/7, 181/7), T ending on 2024-02-29.
 *
 * <p>H's one order has lines 100 and 60 days before T: it counts on the day of its first sale line,
 * so it is 1 order in the last 180 days and in the 90 before the last 90, none in the last 90
 * (trend −1), while its spend falls where its lines do: 20 in the last 90 days, 50 in 180, trend 20
 * − 30 = −10.
 */
class ChurnFixtureTest extends SparkTestBase {
  static Row line(String c, String o, String date, String amount, String cat) {
    return CustomerLines.line(c, o, LocalDate.parse(date), amount, cat);
  }

  static Dataset<Row> lines(List<Row> rows) {
    return spark.createDataFrame(rows, CustomerLines.SCHEMA);
  }

  static final LocalDate T = LocalDate.parse("2024-03-01");
  static final BgNbd BG = new BgNbd(0.243, 4.414, 0.793, 2.426);

  static Dataset<Row> labelFixture() {
    return lines(
        List.of(
            line("A", "a0", "2023-09-01", "50.00", "x"),
            line("A", "a1", "2024-01-15", "30.00", "x"),
            line("A", "a1", "2024-01-15", "10.00", "y"),
            line("A", "ar", "2024-02-20", "-10.00", "y"),
            line("A", "a2", "2024-03-30", "20.00", "x"),
            line("B", "b0", "2024-01-10", "20.00", "x"),
            line("B", "b1", "2024-03-31", "20.00", "x"),
            line("C", "c0", "2024-03-05", "20.00", "x"),
            line("D", "d0", "2024-03-01", "20.00", "x"),
            line("E", "e0", "2024-02-20", "20.00", "x"),
            line("E", "er", "2024-03-10", "-20.00", "x"),
            line("F", "f0", "2023-03-01", "20.00", "x"),
            line("G", "g0", "2023-03-02", "20.00", "x"),
            line("H", "h1", "2023-11-22", "30.00", "x"),
            line("H", "h1", "2024-01-01", "20.00", "x")));
  }

  static Map<String, Row> byCustomer(Dataset<Row> d) {
    Map<String, Row> m = new HashMap<>();
    for (Row r : d.collectAsList()) {
      m.put(r.getAs("customer_id"), r);
    }
    return m;
  }

  @Test
  void labelsFollowTheWindowAndThePopulation() {
    Dataset<Row> lines = labelFixture();
    Dataset<Row> features =
        ChurnFeatures.at(CustomerDays.of(lines), T, 365, BG, 30 / 7.0, ClvSettings.TimeUnit.WEEK);
    Map<String, Row> labelled =
        byCustomer(ChurnFeatures.label(features, CustomerDays.of(lines), T, 30));
    assertEquals(java.util.Set.of("A", "B", "E", "G", "H"), labelled.keySet());
    assertEquals(1.0, labelled.get("H").<Double>getAs("churned"));
    assertEquals(0.0, labelled.get("A").<Double>getAs("churned"));
    assertEquals(1.0, labelled.get("B").<Double>getAs("churned"));
    assertEquals(1.0, labelled.get("E").<Double>getAs("churned"));
    assertEquals(1.0, labelled.get("G").<Double>getAs("churned"));
  }

  @Test
  void featuresOfOneCustomerWorkedByHand() {
    Map<String, Row> f =
        byCustomer(
            ChurnFeatures.at(
                CustomerDays.of(labelFixture()), T, 365, BG, 30 / 7.0, ClvSettings.TimeUnit.WEEK));
    Row a = f.get("A");
    Map<String, Double> expected = new HashMap<>();
    expected.put("recency_days", 46.0);
    expected.put("frequency", 2.0);
    expected.put("purchase_days", 2.0);
    expected.put("monetary", 80.0);
    expected.put("tenure_days", 182.0);
    expected.put("avg_order_value", 40.0);
    expected.put("recency_gap_ratio", 46.0 / 136);
    expected.put("single_purchase_day", 0.0);
    expected.put("orders_30d", 0.0);
    expected.put("orders_90d", 1.0);
    expected.put("orders_180d", 1.0);
    expected.put("spend_30d", 0.0);
    expected.put("spend_90d", 40.0);
    expected.put("spend_180d", 40.0);
    expected.put("order_trend_90d", 1.0);
    expected.put("spend_trend_90d", 40.0);
    expected.put("return_rate", 10.0 / 90);
    expected.put("distinct_categories", 2.0);
    expected.put("avg_basket_lines", 1.5);
    expected.put("p_alive", BG.probabilityAlive(1, 136 / 7.0, 181 / 7.0));
    expected.put("expected_purchases", BG.expectedPurchases(30 / 7.0, 1, 136 / 7.0, 181 / 7.0));
    assertEquals(ChurnFeatures.NAMES.size(), expected.size());
    for (String name : ChurnFeatures.NAMES) {
      assertEquals(expected.get(name), a.<Double>getAs(name), 1e-9, name);
    }
    Row h = f.get("H");
    Map<String, Double> windows =
        Map.of(
            "frequency", 1.0,
            "purchase_days", 2.0,
            "orders_30d", 0.0,
            "orders_90d", 0.0,
            "orders_180d", 1.0,
            "order_trend_90d", -1.0,
            "spend_90d", 20.0,
            "spend_180d", 50.0,
            "spend_trend_90d", -10.0);
    windows.forEach((name, value) -> assertEquals(value, h.<Double>getAs(name), 1e-9, "H " + name));
    assertEquals(java.sql.Date.valueOf("2024-02-20"), a.getAs("last_line_date"));
    assertEquals(java.sql.Date.valueOf(T), a.getAs("cutoff"));
    // One purchase day: ratio 1, the single-day flag, and P(alive) 1 (BG/NBD without repeats).
    Row g = f.get("G");
    assertEquals(1.0, g.<Double>getAs("recency_gap_ratio"));
    assertEquals(1.0, g.<Double>getAs("single_purchase_day"));
    assertEquals(1.0, g.<Double>getAs("p_alive"));
  }

  /**
   * Stages as of 2024-07-01 with the default thresholds (horizon 90, exploration ≤ 2 purchase days
   * or tenure ≤ 180, window w = 180 days, formation ≥ 1.5, decline ≤ 0.67 or recency ≥ 2 gaps):
   *
   * <pre>
   * quitter   02-01, 03-01 (2024)            recency 122 > 90: churned; at 03-02 two days:
   *                                          exploration, an early quitter
   * explorer  2024-05-01, 06-01              two purchase days: exploration
   * former    2023-07-01; 2024-02-01, 03-01, 04-01, 05-01, 06-01, 06-20
   *                                          6 days in the last 180 / 180 over 1 in the 186
   *                                          before: ratio 6.2 ≥ 1.5: formation
   * stable    the 1st of every month 2023-07 … 2024-06 (and a return on 06-25)
   *                                          5 recent (Feb–Jun; Jan 1 is 182 days back) / 180
   *                                          over 7 / 186 = 0.74; recency 30 < 2 × 30.5: stability
   * decliner  1st and 15th of 2023-07 … 2023-12, and 2024-05-15
   *                                          1 / 180 over 12 / 186 = 0.09 ≤ 0.67: decline
   * exiter    the 1st of every month 2023-01 … 2024-03
   *                                          recency 122: churned; at 2024-03-02: 6 of 15 days
   *                                          in the last 180 (Oct–Mar) over 9 in 246 = 0.91:
   *                                          stability, an early exit
   * </pre>
   */
  @Test
  void lifecycleStagesWorkedByHand() {
    List<Row> rows = new ArrayList<>();
    int n = 0;
    for (String d : List.of("2024-02-01", "2024-03-01")) {
      rows.add(line("quitter", "o" + n++, d, "10.00", "x"));
    }
    for (String d : List.of("2024-05-01", "2024-06-01")) {
      rows.add(line("explorer", "o" + n++, d, "10.00", "x"));
    }
    for (String d :
        List.of(
            "2023-07-01",
            "2024-02-01",
            "2024-03-01",
            "2024-04-01",
            "2024-05-01",
            "2024-06-01",
            "2024-06-20")) {
      rows.add(line("former", "o" + n++, d, "10.00", "x"));
    }
    LocalDate m = LocalDate.parse("2023-07-01");
    for (int i = 0; i < 12; i++) {
      rows.add(line("stable", "o" + n++, m.plusMonths(i).toString(), "10.00", "x"));
      rows.add(
          line(
              "decliner",
              "o" + n++,
              i < 6
                  ? m.plusMonths(i).toString()
                  : m.plusMonths(i - 6).withDayOfMonth(15).toString(),
              "10.00",
              "x"));
    }
    rows.add(line("stable", "r" + n++, "2024-06-25", "-10.00", "x"));
    rows.add(line("decliner", "o" + n++, "2024-05-15", "10.00", "x"));
    LocalDate e = LocalDate.parse("2023-01-01");
    for (int i = 0; i < 15; i++) {
      rows.add(line("exiter", "o" + n++, e.plusMonths(i).toString(), "10.00", "x"));
    }
    Lifecycle.Thresholds th = new Lifecycle.Thresholds(90, 2, 180, 1.5, 0.67, 2.0);
    Map<String, Row> s =
        byCustomer(
            Lifecycle.stages(CustomerDays.of(lines(rows)), LocalDate.parse("2024-07-01"), th));
    assertEquals("churned", s.get("quitter").getAs("lifecycle_stage"));
    assertEquals("exploration", s.get("quitter").getAs("left_stage"));
    assertEquals("early_quitter", s.get("quitter").getAs("churn_type"));
    assertEquals("exploration", s.get("explorer").getAs("lifecycle_stage"));
    assertEquals("formation", s.get("former").getAs("lifecycle_stage"));
    assertEquals("stability", s.get("stable").getAs("lifecycle_stage"));
    assertEquals("decline", s.get("decliner").getAs("lifecycle_stage"));
    assertEquals("churned", s.get("exiter").getAs("lifecycle_stage"));
    assertEquals("stability", s.get("exiter").getAs("left_stage"));
    assertEquals("early_exit", s.get("exiter").getAs("churn_type"));
    for (String active : List.of("explorer", "former", "stable", "decliner")) {
      assertNull(s.get(active).getAs("left_stage"), active);
      assertNull(s.get(active).getAs("churn_type"), active);
    }
  }
}
