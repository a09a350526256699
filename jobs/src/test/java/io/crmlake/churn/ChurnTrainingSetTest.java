package io.crmlake.churn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.testing.SparkTestBase;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The training set's leakage check and class balance ({@link ChurnTrainingSet#balance}) on a
 * hand-made stacked set, and the order the fits read its rows in ({@link
 * ChurnTrainingSet#forFits}).
 *
 * <pre>
 * cutoff      customers (churned)           latest line   counts
 * 2024-01-01  a (1), b, c                   2023-12-31    3 customers, 1 churned: 33.3 %
 * 2024-02-01  a (1), b (1), c, d            2024-01-31    4 customers, 2 churned: 50.0 %
 * 2024-03-01  b (1), c, d, e, f (1)         2024-02-28    5 customers, 2 churned: 40.0 % (holdout)
 * </pre>
 *
 * Training: 3 + 4 = 7 rows, 1 + 2 = 3 churned (rate 3/7); holdout: 5 rows, 2 churned (rate 0.4).
 */
class ChurnTrainingSetTest extends SparkTestBase {
  static final StructType STACKED =
      new StructType()
          .add("cutoff", DataTypes.DateType)
          .add("customer_id", DataTypes.StringType)
          .add("churned", DataTypes.DoubleType)
          .add("last_line_date", DataTypes.DateType);

  static final LocalDate HOLDOUT = LocalDate.parse("2024-03-01");

  static Row row(String cutoff, String customer, double churned, String lastLine) {
    return RowFactory.create(
        java.sql.Date.valueOf(cutoff), customer, churned, java.sql.Date.valueOf(lastLine));
  }

  static List<Row> fixture() {
    return new ArrayList<>(
        List.of(
            row("2024-01-01", "a", 1, "2023-11-05"),
            row("2024-01-01", "b", 0, "2023-12-31"),
            row("2024-01-01", "c", 0, "2023-12-20"),
            row("2024-02-01", "d", 0, "2024-01-31"),
            row("2024-02-01", "c", 0, "2024-01-02"),
            row("2024-02-01", "b", 1, "2023-12-31"),
            row("2024-02-01", "a", 1, "2023-11-05"),
            row("2024-03-01", "f", 1, "2024-02-01"),
            row("2024-03-01", "e", 0, "2024-02-28"),
            row("2024-03-01", "d", 0, "2024-01-31"),
            row("2024-03-01", "c", 0, "2024-02-10"),
            row("2024-03-01", "b", 1, "2023-12-31")));
  }

  static Dataset<Row> stacked(List<Row> rows) {
    return spark.createDataFrame(rows, STACKED).repartition(3);
  }

  @Test
  void countsEachCutoffAndSumsTrainingAndHoldout() {
    ChurnTrainingSet.Balance b = ChurnTrainingSet.balance(stacked(fixture()), HOLDOUT);
    assertEquals(7, b.trainRows());
    assertEquals(3.0, b.trainChurned());
    assertEquals(5, b.holdoutRows());
    assertEquals(2.0, b.holdoutChurned());
    assertEquals(3.0 / 7, b.trainRate(), 1e-15);
    assertEquals(0.4, b.holdoutRate(), 1e-15);
    assertEquals(
        "2024-01-01: 3 customers, 33.3 % churned, latest line 2023-12-31;"
            + " 2024-02-01: 4 customers, 50.0 % churned, latest line 2024-01-31;"
            + " 2024-03-01: 5 customers, 40.0 % churned, latest line 2024-02-28",
        b.describe());
  }

  /** A feature row that used a line dated on its cutoff is a bug: the run fails. */
  @Test
  void aLineOnTheCutoffIsLeakage() {
    List<Row> rows = fixture();
    rows.add(row("2024-02-01", "e", 0, "2024-02-01"));
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> ChurnTrainingSet.balance(stacked(rows), HOLDOUT));
    assertEquals(
        "leakage: a feature row at cutoff 2024-02-01 used a line dated 2024-02-01", e.getMessage());
  }

  /** A cutoff whose customers all stayed (or all churned) teaches nothing: the run refuses. */
  @Test
  void aCutoffOfOneClassIsRefused() {
    List<Row> allActive = fixture();
    allActive.set(0, row("2024-01-01", "a", 0, "2023-11-05"));
    ConfigError active =
        assertThrows(
            ConfigError.class, () -> ChurnTrainingSet.balance(stacked(allActive), HOLDOUT));
    assertTrue(
        active.getMessage().contains("at cutoff 2024-01-01 all 3 customers are active"),
        active.getMessage());

    List<Row> allChurned = new ArrayList<>();
    for (Row r : fixture()) {
      allChurned.add(
          r.getDate(0).toLocalDate().equals(HOLDOUT)
              ? RowFactory.create(r.get(0), r.get(1), 1.0, r.get(3))
              : r);
    }
    ConfigError churned =
        assertThrows(
            ConfigError.class, () -> ChurnTrainingSet.balance(stacked(allChurned), HOLDOUT));
    assertTrue(
        churned.getMessage().contains("at cutoff 2024-03-01 all 5 customers are churned"),
        churned.getMessage());
  }

  /** Below 250,000 rows, one partition, sorted by cutoff and customer, whatever the input's. */
  @Test
  void theFitsReadOnePartitionInCutoffAndCustomerOrder() {
    Dataset<Row> rows = ChurnTrainingSet.forFits(stacked(fixture()), 12);
    assertEquals(1, rows.rdd().getNumPartitions());
    List<String> order =
        rows.collectAsList().stream().map(r -> r.getDate(0) + " " + r.getString(1)).toList();
    List<String> sorted = order.stream().sorted().toList();
    assertEquals(sorted, order);
    assertEquals(12, order.size());
  }
}
