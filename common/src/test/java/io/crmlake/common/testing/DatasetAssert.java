package io.crmlake.common.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Dataset equality for tests: compares the schema (column names and types) first, then the rows as
 * a multiset, and fails with a readable diff of the rows only one side has.
 */
public final class DatasetAssert {
  private DatasetAssert() {}

  public static void assertSameRows(Dataset<Row> expected, Dataset<Row> actual) {
    assertEquals(
        expected.schema().simpleString(), actual.schema().simpleString(), "schemas differ");
    Map<String, Integer> counts = new TreeMap<>();
    for (Row r : expected.collectAsList()) {
      counts.merge(r.toString(), 1, Integer::sum);
    }
    for (Row r : actual.collectAsList()) {
      counts.merge(r.toString(), -1, Integer::sum);
    }
    List<String> diff = new ArrayList<>();
    counts.forEach(
        (row, n) -> {
          if (n > 0) {
            diff.add("  missing (" + n + "x): " + row);
          } else if (n < 0) {
            diff.add("  unexpected (" + -n + "x): " + row);
          }
        });
    if (!diff.isEmpty()) {
      fail(
          diff.size()
              + " rows differ:\n"
              + String.join("\n", diff.subList(0, Math.min(diff.size(), 30))));
    }
  }
}
