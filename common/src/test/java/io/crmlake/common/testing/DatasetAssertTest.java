package io.crmlake.common.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The tolerant comparison: floating-point values anywhere in a row (top level, inside arrays of
 * structs, as map values) may differ within the tolerance; beyond it, or in any other value, or in
 * the number of rows, the assertion fails.
 */
class DatasetAssertTest extends SparkTestBase {
  static final StructType POINT =
      new StructType().add("x", DataTypes.DoubleType).add("n", DataTypes.LongType);
  static final StructType SCHEMA =
      new StructType()
          .add("name", DataTypes.StringType)
          .add("score", DataTypes.DoubleType)
          .add("curve", DataTypes.createArrayType(POINT))
          .add("params", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType));

  private Dataset<Row> rows(Object[]... values) {
    return spark.createDataFrame(Arrays.stream(values).map(RowFactory::create).toList(), SCHEMA);
  }

  private static Object[] row(String name, double score, double x, long n, double p) {
    return new Object[] {
      name,
      score,
      scala.jdk.javaapi.CollectionConverters.asScala(List.of(RowFactory.create(x, n))).toSeq(),
      scala.jdk.javaapi.CollectionConverters.asScala(Map.of("reg", p))
    };
  }

  @Test
  void floatingPointValuesAnywhereMayDifferWithinTheTolerance() {
    // 0.0009765625 = 1/1024 sits exactly on a 10th-decimal half: rounding to 9 decimals would
    // split it from its neighbour one ulp below, the tolerance does not.
    DatasetAssert.assertSameRows(
        rows(row("a", 0.0009765625, 2.0, 3, 1e6), row("b", 1, 0, 1, 0)),
        rows(
            row("b", 1 + 1e-12, 1e-12, 1, 0),
            row("a", Math.nextDown(0.0009765625), 2.0 + 1e-10, 3, 1e6 * (1 + 1e-9))),
        1e-7);
  }

  @Test
  void largerDifferencesOtherValuesAndMissingRowsFail() {
    Dataset<Row> expected = rows(row("a", 0.5, 2.0, 3, 1.0), row("b", 1, 0, 1, 0));
    AssertionError score =
        assertThrows(
            AssertionError.class,
            () ->
                DatasetAssert.assertSameRows(
                    expected, rows(row("a", 0.5001, 2.0, 3, 1.0), row("b", 1, 0, 1, 0)), 1e-7));
    assertTrue(score.getMessage().contains("2 rows differ"), score.getMessage());
    assertThrows(
        AssertionError.class,
        () ->
            DatasetAssert.assertSameRows(
                expected, rows(row("a", 0.5, 2.0, 3, 1.001), row("b", 1, 0, 1, 0)), 1e-7),
        "a map value");
    assertThrows(
        AssertionError.class,
        () ->
            DatasetAssert.assertSameRows(
                expected, rows(row("a", 0.5, 2.0, 4, 1.0), row("b", 1, 0, 1, 0)), 1e-7),
        "a count inside the curve");
    assertThrows(
        AssertionError.class,
        () -> DatasetAssert.assertSameRows(expected, rows(row("a", 0.5, 2.0, 3, 1.0)), 1e-7),
        "a missing row");
    assertThrows(
        AssertionError.class,
        () ->
            DatasetAssert.assertSameRows(
                expected,
                rows(row("a", 0.5, 2.0, 3, 1.0), row("b", 1, 0, 1, 0), row("b", 1, 0, 1, 0)),
                1e-7),
        "a duplicated row");
  }
}
