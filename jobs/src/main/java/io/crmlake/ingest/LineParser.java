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
  private transient CsvParser csv;
  private transient ObjectMapper json;

  LineParser(Format format, String delimiter, String quote, List<String> defaultColumns) {
    this.format = format;
    this.delimiter = delimiter;
    this.quote = quote.isEmpty() ? '\0' : quote.charAt(0);
    this.defaultColumns = new ArrayList<>(defaultColumns);
  }

  /** Result of parsing one line: fields by column name, or an error. */
  record Parsed(Map<String, String> fields, List<String> items, String error) {}

  /** Splits a header line into column names. */
  synchronized List<String> headerColumns(String line) {
    List<String> out = new ArrayList<>();
    for (String c : split(line)) {
      out.add(c == null ? "" : c.trim());
    }
    return out;
  }

  Parsed parse(String line, List<String> fileColumns) {
    List<String> columns = fileColumns != null ? fileColumns : defaultColumns;
    switch (format) {
      case BASKETS:
        {
          List<String> items = new ArrayList<>();
          for (String item : line.split(java.util.regex.Pattern.quote(delimiter), -1)) {
            String t = item.trim();
            if (!t.isEmpty()) {
              items.add(t);
            }
          }
          return items.isEmpty()
              ? new Parsed(null, null, "empty basket line")
              : new Parsed(null, items, null);
        }
      case JSON:
        {
          try {
            JsonNode node = mapper().readTree(line);
            if (node == null || !node.isObject()) {
              return new Parsed(null, null, "not a JSON object");
            }
            Map<String, String> fields = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
              Map.Entry<String, JsonNode> e = it.next();
              JsonNode v = e.getValue();
              fields.put(
                  e.getKey(), v.isNull() ? null : v.isValueNode() ? v.asText() : v.toString());
            }
            return new Parsed(fields, null, null);
          } catch (Exception e) {
            return new Parsed(null, null, "invalid JSON: " + firstLine(e.getMessage()));
          }
        }
      default:
        {
          String[] values = split(line);
          if (values.length != columns.size()) {
            return new Parsed(
                null,
                null,
                String.format(
                    "expected %d fields %s, found %d", columns.size(), columns, values.length));
          }
          Map<String, String> fields = new LinkedHashMap<>();
          for (int i = 0; i < values.length; i++) {
            fields.put(columns.get(i), values[i]);
          }
          return new Parsed(fields, null, null);
        }
    }
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
    if (csv == null) {
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
      csv = new CsvParser(s);
    }
    return csv;
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
