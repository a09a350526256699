package io.crmlake.report;

import io.crmlake.report.Report.Grid;
import io.crmlake.report.Report.Note;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What the sections share to turn aggregates into blocks: a bounded collect (at most {@link
 * #MAX_ROWS} rows of a query reach the driver, so the report's cost there does not grow with the
 * customers), grids filled from such rows, notes, and the median.
 */
final class Blocks {
  static final int MAX_ROWS = 5000;

  private Blocks() {}

  /** At most {@link #MAX_ROWS} rows of {@code rows}, on the driver. */
  static List<Row> collect(Dataset<Row> rows) {
    return rows.limit(MAX_ROWS).collectAsList();
  }

  /** Adds each row's values, in column order, as a row of {@code grid}. */
  static Grid fill(Grid grid, List<Row> rows) {
    for (Row r : rows) {
      Object[] values = new Object[r.length()];
      for (int i = 0; i < values.length; i++) {
        values[i] = r.get(i);
      }
      grid.add(values);
    }
    return grid;
  }

  static Note note(String text) {
    return new Note(text, false);
  }

  static double median(List<Double> values) {
    List<Double> v = values.stream().sorted().toList();
    int n = v.size();
    return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
  }
}
