package io.crmlake.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.univocity.parsers.csv.CsvParser;
import com.univocity.parsers.csv.CsvParserSettings;
import io.crmlake.ingest.SourceSpec.Format;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits one line of a line-based source into named fields, on the executors. A line that cannot be
 * split (wrong number of fields, bad JSON) yields a parse error instead of fields; it is never
 * dropped. CSV uses the univocity parser that Spark's own CSV reader uses.
 */
final class LineParser implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Format format;
  private final String delimiter;
  private final char quote;
  private final List<String> defaultColumns;
  private final java.util.Set<String> required;

  /** One univocity parser per thread: tasks of one executor share a broadcast LineParser. */
  private transient ThreadLocal<CsvParser> csv;

  private transient ObjectMapper json;

  LineParser(SourceSpec spec) {
    this.format = spec.format();
    this.delimiter = spec.delimiter();
    this.quote = spec.quote().isEmpty() ? '\0' : spec.quote().charAt(0);
    this.defaultColumns = new ArrayList<>(spec.columns());
    this.required = new java.util.HashSet<>(spec.requiredColumns());
  }

  /**
   * Result of parsing one line: fields by column name (or basket items), or an error with its
   * reject reason.
   */
  record Parsed(Map<String, String> fields, List<String> items, RejectReason code, String error) {
    static Parsed error(RejectReason code, String error) {
      return new Parsed(null, null, code, error);
    }

    static Parsed malformed(String error) {
      return error(RejectReason.MALFORMED_RECORD, error);
    }
  }

  /** Splits a header line into column names. */
  List<String> headerColumns(String line) {
    List<String> out = new ArrayList<>();
    for (String c : split(line)) {
      out.add(c == null ? "" : c.trim());
    }
    return out;
  }

  /**
   * Splits a line into fields named by {@code fileColumns} (the file's header) or, when null, by
   * the source's {@code columns}.
   */
  Parsed parse(String line, List<String> fileColumns) {
    return switch (format) {
      case BASKETS -> basket(line);
      case JSON -> jsonObject(line);
      default -> delimited(line, fileColumns != null ? fileColumns : defaultColumns);
    };
  }

  /** A basket line: its non-blank items. */
  private Parsed basket(String line) {
    List<String> items = new ArrayList<>();
    for (String item : line.split(java.util.regex.Pattern.quote(delimiter), -1)) {
      String t = item.trim();
      if (!t.isEmpty()) {
        items.add(t);
      }
    }
    return items.isEmpty()
        ? Parsed.malformed("empty basket line")
        : new Parsed(null, items, null, null);
  }

  /** A JSON object: its members as text; a nested value in a required column is malformed. */
  private Parsed jsonObject(String line) {
    try {
      JsonNode node = mapper().readTree(line);
      if (node == null || !node.isObject()) {
        return Parsed.malformed("not a JSON object");
      }
      Map<String, String> fields = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = node.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode v = e.getValue();
        if (v.isContainerNode() && required.contains(e.getKey())) {
          return Parsed.malformed(
              "column "
                  + e.getKey()
                  + " holds a nested "
                  + (v.isArray() ? "array" : "object")
                  + ", not a value");
        }
        fields.put(e.getKey(), v.isNull() ? null : v.isValueNode() ? v.asText() : v.toString());
      }
      return new Parsed(fields, null, null, null);
    } catch (Exception e) {
      return Parsed.malformed("invalid JSON: " + firstLine(e.getMessage()));
    }
  }

  /** A CSV or whitespace-separated line: exactly one value per column. */
  private Parsed delimited(String line, List<String> columns) {
    if (format == Format.CSV && quote != '\0' && unbalancedQuotes(line)) {
      return Parsed.malformed(
          "unterminated quoted field (a quoted value may not span lines; this line has an"
              + " odd number of "
              + quote
              + " characters)");
    }
    String[] values;
    try {
      values = split(line);
    } catch (RuntimeException e) {
      if (csv != null) {
        csv.remove(); // a parser that failed mid-line starts afresh
      }
      return Parsed.malformed(
          "cannot be split into fields: " + firstLine(String.valueOf(e.getMessage())));
    }
    if (values.length != columns.size()) {
      return Parsed.malformed(
          String.format("expected %d fields %s, found %d", columns.size(), columns, values.length));
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (int i = 0; i < values.length; i++) {
      fields.put(columns.get(i), values[i]);
    }
    return new Parsed(fields, null, null, null);
  }

  /** Quotes come in pairs on a complete line: open and close, or doubled to escape one. */
  private boolean unbalancedQuotes(String line) {
    int n = 0;
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) == quote) {
        n++;
      }
    }
    return n % 2 != 0;
  }

  private String[] split(String line) {
    if (format == Format.TEXT) {
      String t = line.strip();
      return t.isEmpty() ? new String[0] : t.split("\\s+");
    }
    String[] values = csv().parseLine(line);
    return values == null ? new String[0] : values;
  }

  private CsvParser csv() {
    synchronized (this) {
      if (csv == null) {
        csv = ThreadLocal.withInitial(this::newCsv);
      }
    }
    return csv.get();
  }

  private CsvParser newCsv() {
    CsvParserSettings s = new CsvParserSettings();
    s.getFormat().setDelimiter(delimiter);
    s.getFormat().setQuote(quote);
    s.getFormat().setQuoteEscape(quote);
    s.setIgnoreLeadingWhitespaces(false);
    s.setIgnoreTrailingWhitespaces(false);
    s.setNullValue(null);
    s.setEmptyValue("");
    s.setMaxCharsPerColumn(-1);
    s.setMaxColumns(4096);
    return new CsvParser(s);
  }

  private ObjectMapper mapper() {
    if (json == null) {
      json = new ObjectMapper();
    }
    return json;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
