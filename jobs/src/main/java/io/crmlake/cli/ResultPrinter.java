package io.crmlake.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Prints a query result as an aligned table, CSV (a header line, then rows) or JSON lines. At most
 * {@code maxRows} rows are fetched to the driver; a note on stderr says when more were left out.
 */
final class ResultPrinter {
  enum Format {
    TABLE,
    CSV,
    JSON
  }

  private ResultPrinter() {}

  static void print(Dataset<Row> query, Format format, int maxRows, PrintStream out) {
    String[] columns = query.columns();
    // Spark renders every value as text in the session time zone (UTC): timestamps, maps, arrays.
    Dataset<Row> result =
        format == Format.JSON
            ? query
            : query.select(
                java.util.Arrays.stream(columns)
                    .map(c -> query.col("`" + c + "`").cast("string").as(c))
                    .toArray(org.apache.spark.sql.Column[]::new));
    if (format == Format.JSON) {
      List<String> rows = result.toJSON().limit(maxRows + 1).collectAsList();
      rows.stream().limit(maxRows).forEach(out::println);
      noteTruncated(rows.size() > maxRows, maxRows);
      return;
    }
    List<Row> rows = result.limit(maxRows + 1).collectAsList();
    boolean truncated = rows.size() > maxRows;
    List<String[]> cells = new ArrayList<>();
    for (Row r : rows.subList(0, Math.min(rows.size(), maxRows))) {
      String[] c = new String[columns.length];
      for (int i = 0; i < columns.length; i++) {
        c[i] = r.isNullAt(i) ? (format == Format.CSV ? "" : "NULL") : r.getString(i);
      }
      cells.add(c);
    }
    if (format == Format.CSV) {
      out.println(csvLine(columns));
      cells.forEach(c -> out.println(csvLine(c)));
    } else {
      int[] width = new int[columns.length];
      for (int i = 0; i < columns.length; i++) {
        width[i] = columns[i].length();
        for (String[] c : cells) {
          width[i] = Math.min(80, Math.max(width[i], c[i].length()));
        }
      }
      out.println(tableLine(columns, width));
      StringBuilder sep = new StringBuilder();
      for (int i = 0; i < width.length; i++) {
        sep.append(i == 0 ? "" : "-+-").append("-".repeat(width[i]));
      }
      out.println(sep);
      cells.forEach(c -> out.println(tableLine(c, width)));
      out.printf("(%d row%s)%n", cells.size(), cells.size() == 1 ? "" : "s");
    }
    noteTruncated(truncated, maxRows);
  }

  private static void noteTruncated(boolean truncated, int maxRows) {
    if (truncated) {
      System.err.printf("(only the first %d rows shown; use --max-rows or LIMIT)%n", maxRows);
    }
  }

  private static String tableLine(String[] values, int[] width) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < values.length; i++) {
      String v =
          values[i].length() > width[i] ? values[i].substring(0, width[i] - 1) + "…" : values[i];
      sb.append(i == 0 ? "" : " | ").append(String.format("%-" + width[i] + "s", v));
    }
    return sb.toString().stripTrailing();
  }

  static String csvLine(String[] values) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < values.length; i++) {
      String v = values[i];
      if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")) {
        v = "\"" + v.replace("\"", "\"\"") + "\"";
      }
      sb.append(i == 0 ? "" : ",").append(v);
    }
    return sb.toString();
  }
}
