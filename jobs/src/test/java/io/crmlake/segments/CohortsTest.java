package io.crmlake.segments;

import io.crmlake.common.testing.DatasetAssert;
import io.crmlake.common.testing.SparkTestBase;
import java.math.BigDecimal;
import java.sql.Date;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Cohort retention worked by hand, as of 2024-04-01:
 *
 * <pre>
 * customer  lines (date amount)                                  cohort
 * a         01-05 100, 01-20 50, 02-10 30, 03-03 −20 (a return)  2024-01
 * b         01-15 40, 03-01 60                                    2024-01
 * c         02-02 10, 04-05 99 (on or after the as-of: left out)  2024-02
 * d         02-10 −5 (a return only)                              none
 * (no id)   01-10 70                                              none
 *
 * cohort   months since  cohort customers  bought  retention  revenue  per customer
 * 2024-01  0             2                 a, b    1.0        190      95
 * 2024-01  1             2                 a       0.5        30       15
 * 2024-01  2             2                 b       0.5        40       20  (b's 60 less a's return)
 * 2024-02  0             1                 c       1.0        10       10
 * </pre>
 */
class CohortsTest extends SparkTestBase {
  @Test
  void retentionAndRevenuePerCohortMonthAsWorkedByHand() {
    StructType schema =
        new StructType()
            .add("customer_id", DataTypes.StringType)
            .add("order_date", DataTypes.DateType)
            .add("amount", DataTypes.createDecimalType(18, 2))
            .add("is_return", DataTypes.BooleanType);
    List<Row> lines =
        List.of(
            line("a", "2024-01-05", 100),
            line("a", "2024-01-20", 50),
            line("a", "2024-02-10", 30),
            line("a", "2024-03-03", -20),
            line("b", "2024-01-15", 40),
            line("b", "2024-03-01", 60),
            line("c", "2024-02-02", 10),
            line("c", "2024-04-05", 99),
            line("d", "2024-02-10", -5),
            line(null, "2024-01-10", 70));
    Date asOf = Date.valueOf("2024-04-01");
    List<Row> expected =
        List.of(
            RowFactory.create(asOf, Date.valueOf("2024-01-01"), 0, 2L, 2L, 1.0, 190.0, 95.0),
            RowFactory.create(asOf, Date.valueOf("2024-01-01"), 1, 2L, 1L, 0.5, 30.0, 15.0),
            RowFactory.create(asOf, Date.valueOf("2024-01-01"), 2, 2L, 1L, 0.5, 40.0, 20.0),
            RowFactory.create(asOf, Date.valueOf("2024-02-01"), 0, 1L, 1L, 1.0, 10.0, 10.0));
    DatasetAssert.assertSameRows(
        spark.createDataFrame(expected, SegmentsTables.COHORT_RETENTION.schema()),
        spark.createDataFrame(
            Cohorts.retention(spark.createDataFrame(lines, schema), LocalDate.parse("2024-04-01"))
                .collectAsList(),
            SegmentsTables.COHORT_RETENTION.schema()));
  }

  private static Row line(String customer, String date, int amount) {
    return RowFactory.create(
        customer, Date.valueOf(date), BigDecimal.valueOf(amount).setScale(2), amount < 0);
  }
}
