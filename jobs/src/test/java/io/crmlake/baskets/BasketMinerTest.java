package io.crmlake.baskets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.testing.SparkTestBase;
import java.sql.Date;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The five-basket textbook example, worked by hand. */
class BasketMinerTest extends SparkTestBase {
  static final StructType TX =
      new StructType()
          .add("order_id", DataTypes.StringType)
          .add("customer_id", DataTypes.StringType)
          .add("order_date", DataTypes.DateType)
          .add("product_id", DataTypes.StringType)
          .add("category", DataTypes.StringType)
          .add("is_return", DataTypes.BooleanType);

  static Dataset<Row> transactions(Object[][] orders) {
    List<Row> rows = new ArrayList<>();
    for (Object[] o : orders) {
      for (int i = 3; i < o.length; i++) {
        rows.add(RowFactory.create(o[0], o[1], Date.valueOf((String) o[2]), o[i], "c", false));
      }
    }
    return spark.createDataFrame(rows, TX);
  }

  static final Object[][] TEXTBOOK = {
    {"T1", "ann", "2024-03-01", "beer", "diapers", "baby powder", "bread", "umbrella"},
    {"T2", "bob", "2024-03-02", "diapers", "baby powder"},
    {"T3", "cat", "2024-03-03", "beer", "diapers", "milk"},
    {"T4", "dan", "2024-03-04", "beer", "diapers", "detergent"},
    {"T5", "eve", "2024-03-05", "beer", "milk", "cola"},
  };

  private static Map<String, Row> byRule(Dataset<Row> rules) {
    Map<String, Row> out = new HashMap<>();
    for (Row r : rules.collectAsList()) {
      List<String> a = r.getList(r.fieldIndex("antecedent"));
      out.put(String.join("+", a) + "->" + r.getAs("consequent"), r);
    }
    return out;
  }

  private static void assertRule(
      Map<String, Row> rules,
      String key,
      double support,
      double confidence,
      double lift,
      double leverage,
      double conviction) {
    Row r = rules.get(key);
    assertTrue(r != null, key + " not among " + rules.keySet());
    assertEquals(support, r.<Double>getAs("support"), 1e-12, key + " support");
    assertEquals(confidence, r.<Double>getAs("confidence"), 1e-12, key + " confidence");
    assertEquals(lift, r.<Double>getAs("lift"), 1e-12, key + " lift");
    assertEquals(leverage, r.<Double>getAs("leverage"), 1e-12, key + " leverage");
    assertEquals(conviction, r.<Double>getAs("conviction"), 1e-12, key + " conviction");
  }

  @Test
  void textbookRulesHaveTheHandComputedMeasures() {
    BasketsSettings s = BasketsSettings.of(0.4, 0.5);
    Dataset<Row> baskets = BasketMiner.baskets(transactions(TEXTBOOK), s);
    BasketMiner.Mined mined = BasketMiner.mine(baskets, s, 5);
    // Frequent at 0.4 (count >= 2): beer 4, diapers 4, baby powder 2, milk 2,
    // {beer, diapers} 3, {baby powder, diapers} 2, {beer, milk} 2.
    assertEquals(7L, mined.itemsets().count());
    Map<String, Row> rules = byRule(mined.rules());
    // supp(beer) = supp(diapers) = 0.8, supp(beer, diapers) = 0.6:
    // confidence 0.6/0.8 = 0.75, lift 0.75/0.8, leverage 0.6 - 0.64, conviction 0.2/0.25.
    assertRule(rules, "beer->diapers", 0.6, 0.75, 0.9375, -0.04, 0.8);
    assertRule(rules, "diapers->beer", 0.6, 0.75, 0.9375, -0.04, 0.8);
    // supp(baby powder) = 0.4 = supp(baby powder, diapers): confidence 1, lift 1/0.8,
    // leverage 0.4 - 0.32, conviction infinite.
    assertRule(rules, "baby powder->diapers", 0.4, 1.0, 1.25, 0.08, Double.POSITIVE_INFINITY);
    assertRule(rules, "milk->beer", 0.4, 1.0, 1.25, 0.08, Double.POSITIVE_INFINITY);
    // diapers -> baby powder: 0.4 / 0.8 = 0.5, exactly the minimum confidence.
    assertRule(rules, "diapers->baby powder", 0.4, 0.5, 1.25, 0.08, 1.2);
    assertRule(rules, "beer->milk", 0.4, 0.5, 1.25, 0.08, 1.2);
    assertEquals(6, rules.size(), rules.keySet().toString());
    assertTrue(rules.values().stream().noneMatch(r -> r.<Boolean>getAs("is_redundant")));
  }

  @Test
  void redundantRulesAreFlagged() {
    // {a} -> c has confidence 1; {a, b} -> c also 1: redundant. {b} -> c has 2/3.
    Object[][] orders = {
      {"1", "x", "2024-01-01", "a", "b", "c"},
      {"2", "x", "2024-01-02", "a", "b", "c"},
      {"3", "y", "2024-01-03", "a", "c"},
      {"4", "y", "2024-01-04", "b"},
    };
    BasketsSettings s = BasketsSettings.of(0.5, 0.6);
    BasketMiner.Mined mined = BasketMiner.mine(BasketMiner.baskets(transactions(orders), s), s, 4);
    Map<String, Row> rules = byRule(mined.rules());
    assertTrue(rules.get("a+b->c").<Boolean>getAs("is_redundant"));
    assertFalse(rules.get("a->c").<Boolean>getAs("is_redundant"));
    assertFalse(rules.get("b->c").<Boolean>getAs("is_redundant"));
  }

  /**
   * What a run that reuses its rules reads, by hand. Lines (order, customer, day, item):
   *
   * <pre>
   * O1 ann 2024-01-01 a;  O1 ann 2024-04-05 b   basket dated 01-01 (its first line): not recent
   * O2 bob 2024-01-11 c                         the boundary day, 90 days before 04-10: not recent
   * O3 bob 2024-01-12 a, b                      recent
   * O4 cat 2024-04-10 c;  O4 return d           recent; the return is not in the basket
   * O5 --  2024-04-09 a                         recent (no customer: recommend skips it)
   * O6 --  2024-04-12 b                         after the as-of date: no customer line is later
   * </pre>
   *
   * The as-of date is 2024-04-10, the last day of a customer's basket line; the recent baskets (the
   * default 90 days: after 2024-01-11, up to 2024-04-10) are O3, O4 and O5, built whole, as the
   * window's baskets are.
   */
  @Test
  void theRecentBasketsAreTheWindowsBasketsOfTheLastDays() {
    List<Row> rows =
        List.of(
            RowFactory.create("O1", "ann", Date.valueOf("2024-01-01"), "a", "c", false),
            RowFactory.create("O1", "ann", Date.valueOf("2024-04-05"), "b", "c", false),
            RowFactory.create("O2", "bob", Date.valueOf("2024-01-11"), "c", "c", false),
            RowFactory.create("O3", "bob", Date.valueOf("2024-01-12"), "a", "c", false),
            RowFactory.create("O3", "bob", Date.valueOf("2024-01-12"), "b", "c", false),
            RowFactory.create("O4", "cat", Date.valueOf("2024-04-10"), "c", "c", false),
            RowFactory.create("O4", "cat", Date.valueOf("2024-04-10"), "d", "c", true),
            RowFactory.create("O5", null, Date.valueOf("2024-04-09"), "a", "c", false),
            RowFactory.create("O6", null, Date.valueOf("2024-04-12"), "b", "c", false));
    Dataset<Row> tx = spark.createDataFrame(rows, TX);
    BasketsSettings s = BasketsSettings.of(0.5, 0.5);
    Date asOf = BasketMiner.asOf(tx, s);
    assertEquals(Date.valueOf("2024-04-10"), asOf);
    Dataset<Row> recent = BasketMiner.recentBaskets(tx, s, asOf);
    assertEquals(
        List.of("O3", "O4", "O5"),
        recent.orderBy("order_id").select("order_id").as(Encoders.STRING()).collectAsList());
    io.crmlake.common.testing.DatasetAssert.assertSameRows(
        BasketMiner.baskets(tx, s)
            .where("order_date > DATE'2024-01-11' AND order_date <= DATE'2024-04-10'"),
        recent);
    assertEquals(
        List.of("c"),
        recent.where("order_id = 'O4'").first().getList(recent.schema().fieldIndex("items")));
  }

  @Test
  void returnsAreExcludedAndItemsAreUniquePerBasket() {
    List<Row> rows =
        List.of(
            RowFactory.create("1", "x", Date.valueOf("2024-01-01"), "a", "c", false),
            RowFactory.create("1", "x", Date.valueOf("2024-01-01"), "a", "c", false),
            RowFactory.create("1", "x", Date.valueOf("2024-01-01"), "b", "c", true),
            RowFactory.create("2", "y", Date.valueOf("2024-02-01"), "b", "c", false));
    BasketsSettings s = BasketsSettings.of(0.5, 0.5);
    List<Row> baskets =
        BasketMiner.baskets(spark.createDataFrame(rows, TX), s).orderBy("order_id").collectAsList();
    assertEquals(List.of("a"), baskets.get(0).getList(baskets.get(0).fieldIndex("items")));
    assertEquals(List.of("b"), baskets.get(1).getList(baskets.get(1).fieldIndex("items")));
  }

  @Test
  void prepareKeepsEveryBasketWithItsFrequentItemsOnly() {
    BasketsSettings s = BasketsSettings.of(0.4, 0.5);
    Dataset<Row> baskets = BasketMiner.baskets(transactions(TEXTBOOK), s);
    BasketGuard.Prepared p = BasketGuard.prepare(baskets, s, s.minCount(5));
    Map<String, List<String>> items = new HashMap<>();
    for (Row r : p.baskets().collectAsList()) {
      items.put(r.getAs("order_id"), r.getList(r.fieldIndex("items")));
      assertEquals(r.getList(r.fieldIndex("items")).size(), r.<Integer>getAs("size"));
    }
    // min count 2: umbrella, bread, detergent and cola (one basket each) go.
    assertEquals(List.of("baby powder", "beer", "diapers"), items.get("T1"));
    assertEquals(List.of("baby powder", "diapers"), items.get("T2"));
    assertEquals(List.of("beer", "diapers", "milk"), items.get("T3"));
    assertEquals(List.of("beer", "diapers"), items.get("T4"));
    assertEquals(List.of("beer", "milk"), items.get("T5"));
    GuardReport g = p.report();
    assertTrue(g.exact(), g.describe());
    assertEquals(5L, g.baskets());
    assertEquals(4, g.frequentItems());
    assertEquals(3, g.maxItems());
    // at least 2 baskets have 3 frequent items (T1, T3): no itemset can be longer than 3.
    assertEquals(3, g.longestPossibleItemset());
    assertEquals(0L, p.removedItems().count());
    BasketMiner.Mined mined = BasketMiner.mine(p.baskets(), s, 5);
    assertEquals(7L, mined.itemsets().count());
    assertEquals(6L, mined.rules().count());
  }

  @Test
  void recommendationsComeFromFiringRulesAndSkipWhatWasBought() {
    BasketsSettings s = BasketsSettings.of(0.4, 0.5);
    Dataset<Row> tx = transactions(TEXTBOOK);
    Dataset<Row> baskets = BasketMiner.baskets(tx, s);
    BasketMiner.Mined mined = BasketMiner.mine(baskets, s, 5);
    List<Row> recs =
        BasketMiner.recommend(baskets, mined.rules(), Date.valueOf("2024-03-05"), s)
            .orderBy("customer_id", "rank")
            .collectAsList();
    Map<String, List<String>> byCustomer = new HashMap<>();
    for (Row r : recs) {
      byCustomer
          .computeIfAbsent(r.getAs("customer_id"), k -> new ArrayList<>())
          .add(
              String.format(
                  java.util.Locale.ROOT, "%s@%.6f", r.getAs("item"), r.<Double>getAs("score")));
    }
    // bob bought diapers and baby powder: diapers -> beer (0.75 x 0.9375) fires; baby powder
    // -> diapers does not recommend diapers, which he has.
    assertEquals(List.of("beer@0.703125"), byCustomer.get("bob"));
    // cat bought beer, diapers, milk: diapers -> baby powder (0.5 x 1.25) only.
    assertEquals(List.of("baby powder@0.625000"), byCustomer.get("cat"));
    // eve bought beer, milk, cola: beer -> diapers (0.703125).
    assertEquals(List.of("diapers@0.703125"), byCustomer.get("eve"));
    // ann bought every frequent item but milk: beer -> milk (0.5 x 1.25).
    assertEquals(List.of("milk@0.625000"), byCustomer.get("ann"));
    assertEquals(5, byCustomer.size());
  }
}
