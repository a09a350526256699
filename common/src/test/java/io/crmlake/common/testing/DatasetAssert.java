package io.crmlake.common.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

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
    failOn(diff);
  }

  /**
   * As {@link #assertSameRows(Dataset, Dataset)}, but floating-point values — also inside arrays,
   * structs and maps — need only agree to {@code tolerance}, relative to their size (absolute below
   * 1): for tables whose sums may be added up in another order. Everything else must be equal. Rows
   * are paired by their values other than floating point ones.
   */
  public static void assertSameRows(Dataset<Row> expected, Dataset<Row> actual, double tolerance) {
    assertEquals(
        expected.schema().simpleString(), actual.schema().simpleString(), "schemas differ");
    StructType schema = expected.schema();
    Map<String, List<Row>> left = byExactPart(expected.collectAsList(), schema);
    Map<String, List<Row>> right = byExactPart(actual.collectAsList(), schema);
    List<String> diff = new ArrayList<>();
    java.util.Set<String> keys = new java.util.TreeSet<>(left.keySet());
    keys.addAll(right.keySet());
    for (String key : keys) {
      List<Row> a = left.getOrDefault(key, List.of());
      List<Row> b = right.getOrDefault(key, List.of());
      int n = Math.min(a.size(), b.size());
      for (int i = 0; i < n; i++) {
        if (!close(a.get(i), b.get(i), schema, tolerance)) {
          diff.add("  missing: " + a.get(i));
          diff.add("  unexpected: " + b.get(i));
        }
      }
      a.subList(n, a.size()).forEach(r -> diff.add("  missing: " + r));
      b.subList(n, b.size()).forEach(r -> diff.add("  unexpected: " + r));
    }
    failOn(diff);
  }

  private static void failOn(List<String> diff) {
    if (!diff.isEmpty()) {
      fail(
          diff.size()
              + " rows differ:\n"
              + String.join("\n", diff.subList(0, Math.min(diff.size(), 30))));
    }
  }

  /** Rows grouped by their text with floating-point values blanked, each group in text order. */
  private static Map<String, List<Row>> byExactPart(List<Row> rows, StructType schema) {
    Map<String, List<Row>> groups = new TreeMap<>();
    for (Row r : rows) {
      groups.computeIfAbsent(render(r, schema, true), k -> new ArrayList<>()).add(r);
    }
    Comparator<Row> byText = Comparator.comparing(r -> render(r, schema, false));
    groups.values().forEach(g -> g.sort(byText));
    return groups;
  }

  private static String render(Object v, DataType type, boolean blankFloats) {
    if (v == null) {
      return "null";
    }
    if (type instanceof DoubleType || type instanceof FloatType) {
      return blankFloats ? "~" : v.toString();
    }
    if (type instanceof StructType st) {
      Row r = (Row) v;
      StringBuilder s = new StringBuilder("[");
      StructField[] fields = st.fields();
      for (int i = 0; i < fields.length; i++) {
        s.append(i == 0 ? "" : ",").append(render(r.get(i), fields[i].dataType(), blankFloats));
      }
      return s.append(']').toString();
    }
    if (type instanceof ArrayType at) {
      StringBuilder s = new StringBuilder("(");
      for (Object e : list(v)) {
        s.append(render(e, at.elementType(), blankFloats)).append(',');
      }
      return s.append(')').toString();
    }
    if (type instanceof MapType mt) {
      Map<String, String> sorted = new TreeMap<>();
      map(v)
          .forEach(
              (k, e) ->
                  sorted.put(
                      render(k, mt.keyType(), false), render(e, mt.valueType(), blankFloats)));
      return sorted.toString();
    }
    return v.toString();
  }

  private static boolean close(Object a, Object b, DataType type, double tolerance) {
    if (a == null || b == null) {
      return a == b;
    }
    if (type instanceof DoubleType || type instanceof FloatType) {
      double x = ((Number) a).doubleValue();
      double y = ((Number) b).doubleValue();
      if (Double.isNaN(x) || Double.isNaN(y) || Double.isInfinite(x) || Double.isInfinite(y)) {
        return Double.compare(x, y) == 0;
      }
      return Math.abs(x - y) <= tolerance * Math.max(1, Math.max(Math.abs(x), Math.abs(y)));
    }
    if (type instanceof StructType st) {
      StructField[] fields = st.fields();
      for (int i = 0; i < fields.length; i++) {
        if (!close(((Row) a).get(i), ((Row) b).get(i), fields[i].dataType(), tolerance)) {
          return false;
        }
      }
      return true;
    }
    if (type instanceof ArrayType at) {
      List<?> x = list(a);
      List<?> y = list(b);
      if (x.size() != y.size()) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        if (!close(x.get(i), y.get(i), at.elementType(), tolerance)) {
          return false;
        }
      }
      return true;
    }
    if (type instanceof MapType mt) {
      Map<?, ?> x = map(a);
      Map<?, ?> y = map(b);
      if (!x.keySet().equals(y.keySet())) {
        return false;
      }
      for (Object k : x.keySet()) {
        if (!close(x.get(k), y.get(k), mt.valueType(), tolerance)) {
          return false;
        }
      }
      return true;
    }
    return a.equals(b);
  }

  private static List<?> list(Object v) {
    return v instanceof List<?> l
        ? l
        : scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) v);
  }

  private static Map<?, ?> map(Object v) {
    return v instanceof Map<?, ?> m
        ? m
        : scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Map<?, ?>) v);
  }
}
