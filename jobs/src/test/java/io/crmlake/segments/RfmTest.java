package io.crmlake.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.testing.DatasetAssert;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.features.CustomerFeatures;
import io.crmlake.segments.SegmentScheme.Split;
import io.crmlake.segments.SegmentsSettings.Tier;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFM worked by hand on ten customers. As of 2024-07-01, with exact quantiles (the 20/40/60/80%
 * boundaries are the 2nd, 4th, 6th and 8th smallest values):
 *
 * <pre>
 * customer recency freq monetary | R F M | cell | value class            | English segment
 * c01          1      5     500  | 5 5 4 | 554  | Important Value        | Champions
 * c02          2      4     400  | 5 4 4 | 544  | Important Value        | Champions
 * c03          3      1     300  | 4 1 3 | 413  | General Development    | Potential Loyalist
 * c04          5      1      30  | 4 1 1 | 411  | General Development    | Promising
 * c05         10      3     200  | 3 3 2 | 332  | General Value          | Need Attention
 * c06         20      1     600  | 3 1 5 | 315  | Important Development  | Need Attention
 * c07         40      4      50  | 2 4 2 | 242  | General Retention      | At Risk
 * c08         60      3     350  | 2 3 3 | 233  | Important Retention    | At Risk
 * c09         90      1     700  | 1 1 5 | 115  | Important Win-back     | At Risk
 * c10        120      1      30  | 1 1 1 | 111  | General Win-back       | Lost
 * </pre>
 *
 * Boundaries: recency [2, 5, 20, 60]; frequency [1, 1, 3, 4] (collapsed: six customers bought
 * once); monetary [30, 200, 350, 500] (c04 and c10 tie at 30 and share M = 1). Means: recency 35.1,
 * frequency 2.4, monetary 316, so c03 (300) is low on M and c07/c08 are low on R, high on F.
 */
class RfmTest extends SparkTestBase {
  static final LocalDate AS_OF = LocalDate.parse("2024-07-01");

  static final StructType TX =
      new StructType()
          .add("customer_id", DataTypes.StringType)
          .add("order_id", DataTypes.StringType)
          .add("order_date", DataTypes.DateType)
          .add("category", DataTypes.StringType)
          .add("amount", DataTypes.createDecimalType(18, 2))
          .add("is_return", DataTypes.BooleanType);

  /** customer, recency days, orders, net spend. */
  static final Object[][] CUSTOMERS = {
    {"c01", 1, 5, 500}, {"c02", 2, 4, 400}, {"c03", 3, 1, 300}, {"c04", 5, 1, 30},
    {"c05", 10, 3, 200}, {"c06", 20, 1, 600}, {"c07", 40, 4, 50}, {"c08", 60, 3, 350},
    {"c09", 90, 1, 700}, {"c10", 120, 1, 30},
  };

  /**
   * Order lines giving each customer its figures: orders 7 days apart ending recency days before
   * the as-of date, spend on the last order; c03 also returns 20 of a 320 purchase.
   */
  static List<Row> lines() {
    List<Row> rows = new ArrayList<>();
    for (Object[] c : CUSTOMERS) {
      String id = (String) c[0];
      int recency = (Integer) c[1];
      int orders = (Integer) c[2];
      int spend = (Integer) c[3];
      for (int k = 0; k < orders; k++) {
        LocalDate d = AS_OF.minusDays(recency + 7L * (orders - 1 - k));
        int amount = k == orders - 1 ? spend - (orders - 1) : 1;
        if (id.equals("c03")) {
          amount = 320;
        }
        rows.add(line(id, id + "-" + k, d, "cat" + (k % 2), amount, false));
      }
    }
    rows.add(line("c03", "c03-r", AS_OF.minusDays(2), "cat0", -20, true));
    rows.add(line(null, "anonymous", AS_OF.minusDays(3), "cat0", 999, false));
    return rows;
  }

  static Row line(String c, String order, LocalDate d, String cat, int amount, boolean ret) {
    return RowFactory.create(
        c, order, Date.valueOf(d), cat, new BigDecimal(amount).setScale(2), ret);
  }

  static Dataset<Row> features(List<Row> lines) {
    return CustomerFeatures.compute(spark.createDataFrame(lines, TX), AS_OF);
  }

  @Test
  void featuresAreTheFixtureFigures() {
    Map<String, Row> f = byCustomer(features(lines()));
    assertEquals(10, f.size(), "the line without a customer is not a customer");
    for (Object[] c : CUSTOMERS) {
      Row r = f.get((String) c[0]);
      assertEquals(
          ((Integer) c[1]).intValue(), r.<Integer>getAs("recency_days"), c[0] + " recency");
      assertEquals(((Integer) c[2]).longValue(), r.<Long>getAs("frequency"), c[0] + " frequency");
      assertEquals(((Integer) c[3]).doubleValue(), r.<Double>getAs("monetary"), 1e-9, c[0] + " $");
    }
    Row c03 = f.get("c03");
    assertEquals(320.0, c03.<Double>getAs("gross_sales"), 1e-9);
    assertEquals(20.0 / 320.0, c03.<Double>getAs("return_rate"), 1e-12);
    Row c01 = f.get("c01");
    assertEquals(7.0, c01.<Double>getAs("avg_gap_days"), 1e-12);
    assertEquals(1 + 28, c01.<Integer>getAs("tenure_days"));
    assertEquals(100.0, c01.<Double>getAs("avg_order_value"), 1e-9);
    assertEquals(2L, c01.<Long>getAs("distinct_categories"));
    assertTrue(
        f.get("c04").isNullAt(f.get("c04").fieldIndex("avg_gap_days")), "one purchase day: no gap");
  }

  @Test
  void scoresClassesAndCellsAsWorkedByHand(@TempDir Path dir) {
    SegmentsSettings s = SegmentsSettings.from(config(dir));
    Dataset<Row> f = features(lines());
    Rfm.Boundaries b = Rfm.boundaries(f, 0.0);
    assertEquals(List.of(2.0, 5.0, 20.0, 60.0), list(b.values()[0]));
    assertEquals(List.of(1.0, 1.0, 3.0, 4.0), list(b.values()[1]));
    assertEquals(List.of(30.0, 200.0, 350.0, 500.0), list(b.values()[2]));
    List<String> warnings = Rfm.collapsed(b);
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).startsWith("frequency"), warnings.get(0));

    double[] mean = Rfm.splits(f, Split.MEAN, 0.0);
    assertEquals(35.1, mean[0], 1e-9);
    assertEquals(2.4, mean[1], 1e-9);
    assertEquals(316.0, mean[2], 1e-9);
    Map<String, Row> out =
        byCustomer(
            Rfm.classify(Rfm.score(f, b), s.schemes(), mean, Rfm.splits(f, Split.MEDIAN, 0)));
    String[][] expected = {
      {"c01", "554", "Important Value", "Champions"},
      {"c02", "544", "Important Value", "Champions"},
      {"c03", "413", "General Development", "Potential Loyalist"},
      {"c04", "411", "General Development", "Promising"},
      {"c05", "332", "General Value", "Need Attention"},
      {"c06", "315", "Important Development", "Need Attention"},
      {"c07", "242", "General Retention", "At Risk"},
      {"c08", "233", "Important Retention", "At Risk"},
      {"c09", "115", "Important Win-back", "At Risk"},
      {"c10", "111", "General Win-back", "Lost"},
    };
    Set<String> classes = new TreeSet<>();
    for (String[] e : expected) {
      Row r = out.get(e[0]);
      assertEquals(e[1], r.getAs("rfm_cell"), e[0] + " cell");
      assertEquals(e[2], r.getAs("value_class"), e[0] + " value class");
      assertEquals(e[3], r.getAs("rfm_segment"), e[0] + " English segment");
      assertEquals(e[1].charAt(0) - '0', r.<Integer>getAs("r_score"));
      classes.add(r.getAs("value_class"));
    }
    assertEquals(8, classes.size(), "every value class is reached: " + classes);
  }

  @Test
  void medianSplitMovesTheBorder(@TempDir Path dir) {
    // Medians are the 5th smallest values: recency 10, frequency 1, monetary 300.
    SegmentsSettings s =
        SegmentsSettings.from(config(dir, "segments.schemes.value_class.split=median"));
    Dataset<Row> f = features(lines());
    double[] median = Rfm.splits(f, Split.MEDIAN, 0.0);
    assertEquals(10.0, median[0], 0, "5th smallest recency");
    assertEquals(1.0, median[1], 0, "5th smallest frequency");
    assertEquals(300.0, median[2], 0, "5th smallest monetary");
    Map<String, Row> out =
        byCustomer(Rfm.classify(Rfm.score(f, Rfm.boundaries(f, 0)), s.schemes(), median, median));
    // c05: recency 10 is not below 10 -> R low; F 3 > 1 high; M 200 low -> General Retention.
    assertEquals("General Retention", out.get("c05").getAs("value_class"));
    // c03: R 3 < 10 high; F 1 low; M 300 not above 300 -> General Development.
    assertEquals("General Development", out.get("c03").getAs("value_class"));
  }

  @Test
  void pyramidTiersAndRevenueShares(@TempDir Path dir) {
    Dataset<Row> f = features(lines());
    List<Tier> tiers =
        List.of(new Tier("Top", 0.2), new Tier("Middle", 0.3), new Tier("Base", 0.5));
    // Thresholds: the 80% and 50% quantiles = 8th and 5th smallest monetary = 500 and 300.
    double[] t = Pyramid.thresholds(f, "monetary", tiers, 0.0);
    assertEquals(List.of(500.0, 300.0), list(t));
    Dataset<Row> tiered = f.withColumn("pyramid_tier", Pyramid.tier(f.col("monetary"), t, tiers));
    Map<String, Row> out = byCustomer(tiered);
    assertEquals("Top", out.get("c06").getAs("pyramid_tier"));
    assertEquals("Top", out.get("c09").getAs("pyramid_tier"));
    assertEquals("Middle", out.get("c01").getAs("pyramid_tier"));
    assertEquals("Middle", out.get("c08").getAs("pyramid_tier"));
    assertEquals("Base", out.get("c03").getAs("pyramid_tier"), "300 is not above 300");
    Map<String, Row> profiles = new HashMap<>();
    for (Row r :
        SegmentProfiles.of(tiered, List.of("pyramid_tier"), Date.valueOf(AS_OF)).collectAsList()) {
      profiles.put(r.getAs("segment"), r);
    }
    assertEquals(2L, profiles.get("Top").<Long>getAs("customers"));
    assertEquals(0.2, profiles.get("Top").<Double>getAs("customer_share"), 1e-12);
    assertEquals(1300.0 / 3160.0, profiles.get("Top").<Double>getAs("revenue_share"), 1e-12);
    assertEquals(1250.0 / 3160.0, profiles.get("Middle").<Double>getAs("revenue_share"), 1e-12);
    assertEquals(3L, profiles.get("Middle").<Long>getAs("customers"));
    assertEquals(5L, profiles.get("Base").<Long>getAs("customers"));
  }

  @Test
  void laterTransactionsChangeNothing() {
    List<Row> later = new ArrayList<>(lines());
    later.add(line("c10", "late-1", AS_OF, "cat0", 5000, false));
    later.add(line("c11", "late-2", AS_OF.plusDays(3), "cat0", 10, false));
    later.add(line("c01", "late-3", AS_OF.plusDays(1), "cat0", -500, true));
    DatasetAssert.assertSameRows(features(lines()), features(later));
  }

  @Test
  void schemesMustCoverEveryCellAndNameBadValues(@TempDir Path dir) {
    ConfigError gap =
        assertThrows(
            ConfigError.class,
            () ->
                SegmentsSettings.from(
                    config(
                        dir,
                        "segments.schemes.value_class.classes=[{name=A, r=high}, {name=B, r=low,"
                            + " f=low}]")));
    assertTrue(
        gap.getMessage().contains("segments.schemes.value_class")
            && gap.getMessage().contains("r = low, f = high, m = low"),
        gap.getMessage());
    ConfigError range =
        assertThrows(
            ConfigError.class,
            () ->
                SegmentsSettings.from(
                    config(dir, "segments.schemes.rfm_segment.rules=[{name=X, r=\"6-7\"}]")));
    assertTrue(range.getMessage().contains("6-7"), range.getMessage());
    ConfigError tiers =
        assertThrows(
            ConfigError.class,
            () ->
                SegmentsSettings.from(
                    config(
                        dir, "segments.pyramid.tiers=[{name=A, share=0.5}, {name=B, share=0.4}]")));
    assertTrue(tiers.getMessage().contains("add up to 1"), tiers.getMessage());
    ConfigError feature =
        assertThrows(
            ConfigError.class,
            () ->
                SegmentsSettings.from(
                    config(dir, "segments.kmeans.features=[recency, frequency]")));
    assertTrue(feature.getMessage().contains("recency"), feature.getMessage());
  }

  static Map<String, Row> byCustomer(Dataset<Row> d) {
    Map<String, Row> out = new HashMap<>();
    for (Row r : d.collectAsList()) {
      out.put(r.getAs("customer_id"), r);
    }
    return out;
  }

  static List<Double> list(double[] v) {
    List<Double> out = new ArrayList<>();
    for (double x : v) {
      out.add(x);
    }
    return out;
  }
}
