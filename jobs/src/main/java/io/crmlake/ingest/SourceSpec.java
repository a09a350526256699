package io.crmlake.ingest;

import com.typesafe.config.Config;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.ConfigLoader;
import io.crmlake.common.config.Settings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A source description: where a source's files are, how to read them and which source column holds
 * which canonical order-line field. Parsed from a HOCON file ({@code conf/sources/*.conf}) whose
 * keys are documented in the README ("Describing a source"). A source declares only the fields it
 * has: CDNOW has no products, basket lists have no customers or dates.
 *
 * @param name source name, stored with every row ({@code [a-z0-9_]+})
 * @param file the description file (for messages)
 * @param location folder or file (a Hadoop URI)
 * @param glob file-name pattern within the location ({@code *} = every non-hidden file)
 * @param format how records are stored
 * @param header whether each file starts with a header line (csv, text)
 * @param delimiter field delimiter (csv) or item delimiter (baskets)
 * @param quote quote character (csv)
 * @param columns names of the columns by position; required for files without a header
 * @param fields canonical field to source column
 * @param timestampFormats Spark datetime patterns tried in order (empty: ISO-8601)
 * @param timezone zone of timestamps that carry no offset
 * @param lineKey source columns that identify a record across deliveries (empty: file + position)
 * @param cancelPrefix an order id starting with this marks a cancellation (empty: none)
 * @param encoding character set of text files (an ASCII-compatible one: UTF-8, ISO-8859-1,
 *     windows-1252, ...); a line with bytes that are not valid in it is rejected, never repaired
 */
public record SourceSpec(
    String name,
    String file,
    String location,
    String glob,
    Format format,
    boolean header,
    String delimiter,
    String quote,
    List<String> columns,
    Map<Field, String> fields,
    List<String> timestampFormats,
    String timezone,
    List<String> lineKey,
    Optional<String> cancelPrefix,
    String encoding) {

  /** How a source's records are stored. */
  public enum Format {
    /** Delimited text, optionally with a header and quotes. */
    CSV,
    /** Whitespace-separated columns, padded with any number of spaces (CDNOW). */
    TEXT,
    /** One JSON object per line. */
    JSON,
    PARQUET,
    DELTA,
    /** One basket per line, items separated by {@code delimiter}; no customer, no date. */
    BASKETS
  }

  /** The canonical order-line fields a source may declare (config key in parentheses). */
  public enum Field {
    CUSTOMER_ID("customer-id"),
    ORDER_ID("order-id"),
    TIMESTAMP("timestamp"),
    PRODUCT_ID("product-id"),
    PRODUCT_NAME("product-name"),
    CATEGORY("category"),
    QUANTITY("quantity"),
    UNIT_PRICE("unit-price"),
    AMOUNT("amount");

    public final String key;

    Field(String key) {
      this.key = key;
    }
  }

  public boolean has(Field f) {
    return fields.containsKey(f);
  }

  public String column(Field f) {
    return fields.get(f);
  }

  /** Whether rows are read line by line from text files (and so keyed by byte offset). */
  public boolean lineBased() {
    return format == Format.CSV
        || format == Format.TEXT
        || format == Format.JSON
        || format == Format.BASKETS;
  }

  /** Source columns the data must have: every mapped field and every line-key column. */
  public Set<String> requiredColumns() {
    Set<String> out = new LinkedHashSet<>(fields.values());
    out.addAll(lineKey);
    return out;
  }

  /**
   * Reads a source description file. Values may refer to the main config, e.g. {@code location =
   * ${lake.landing}"/orders"}.
   */
  public static SourceSpec load(String file, Config main, Path home, String defaultTimezone) {
    Config own = ConfigLoader.parseLocation(file, home);
    checkKeys(new Settings(own, home));
    Config merged;
    try {
      merged = own.withFallback(main).resolve();
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigError("source " + file + ": " + e.getMessage(), e);
    }
    return parse(new Settings(merged, home), file, defaultTimezone);
  }

  /** The keys of a source description: a misspelt one fails, naming the file and line. */
  static final List<String> KEYS =
      List.of(
          "name",
          "location",
          "glob",
          "format",
          "header",
          "delimiter",
          "quote",
          "columns",
          "fields",
          "timestamp-formats",
          "timezone",
          "line-key",
          "cancel-prefix",
          "encoding");

  /** Fails on a key that is not one of {@link #KEYS}, or a field that is not a {@link Field}. */
  static void checkKeys(Settings own) {
    own.onlyKeys(KEYS);
    if (own.has("fields")) {
      List<String> fields = new ArrayList<>();
      for (Field f : Field.values()) {
        fields.add(f.key);
      }
      fields.add("date");
      own.object("fields").onlyKeys(fields);
    }
  }

  /** Reads and checks a source description; checks come in the order of its keys. */
  static SourceSpec parse(Settings s, String file, String defaultTimezone) {
    String name = s.string("name");
    if (!name.matches("[a-z0-9_]+")) {
      throw ConfigError.invalid(file + ": name", name, "must match [a-z0-9_]+");
    }
    Format format = s.enumValue("format", Format.class);
    boolean header = s.has("header") && s.bool("header");
    List<String> columns = s.stringList("columns");
    String delimiter = delimiter(s);
    Map<Field, String> fields = fields(s, file);
    checkFieldsFitFormat(file, format, fields);
    checkColumnsNamed(file, format, header, columns);
    List<String> lineKey = s.stringList("line-key");
    checkFieldsInColumns(file, fields, columns);
    if (format == Format.DELTA && lineKey.isEmpty()) {
      throw new ConfigError(
          file + ": a delta source needs line-key = [...] (the columns that identify a record)");
    }
    List<String> formats = new ArrayList<>(s.stringList("timestamp-formats"));
    String timezone = timezone(s, file, defaultTimezone);
    String encoding = s.optString("encoding").orElse("UTF-8");
    checkEncoding(file, encoding);
    return new SourceSpec(
        name,
        file,
        s.path("location"),
        s.optString("glob").orElse("*"),
        format,
        header,
        delimiter,
        s.optString("quote").orElse("\""),
        List.copyOf(columns),
        Map.copyOf(fields),
        List.copyOf(formats),
        timezone,
        List.copyOf(lineKey),
        s.optString("cancel-prefix"),
        encoding);
  }

  /** {@code delimiter}, default a comma; the two characters {@code \t} stand for a tab. */
  private static String delimiter(Settings s) {
    String delimiter = s.optString("delimiter").orElse(",");
    if (s.has("delimiter") && s.string("delimiter").equals("\\t")) {
      delimiter = "\t";
    }
    return delimiter;
  }

  /** {@code fields.*}: canonical field to source column; {@code fields.date} is the timestamp. */
  private static Map<Field, String> fields(Settings s, String file) {
    Map<Field, String> fields = new EnumMap<>(Field.class);
    for (Field f : Field.values()) {
      s.optString("fields." + f.key).ifPresent(c -> fields.put(f, c));
    }
    if (s.has("fields.date")) {
      if (fields.containsKey(Field.TIMESTAMP)) {
        throw new ConfigError(file + ": declare fields.timestamp or fields.date, not both");
      }
      fields.put(Field.TIMESTAMP, s.string("fields.date"));
    }
    return fields;
  }

  /** A basket list maps no field; any other source maps a customer or a product. */
  private static void checkFieldsFitFormat(String file, Format format, Map<Field, String> fields) {
    if (format == Format.BASKETS) {
      if (!fields.isEmpty()) {
        throw new ConfigError(
            file
                + ": a baskets source has no field mapping (each item is a product), found "
                + fields);
      }
    } else if (!fields.containsKey(Field.PRODUCT_ID)
        && !fields.containsKey(Field.PRODUCT_NAME)
        && !fields.containsKey(Field.CUSTOMER_ID)) {
      throw new ConfigError(
          file + ": fields must map at least a customer-id or a product-id/product-name column");
    }
  }

  /** Delimited text without a header names its columns. */
  private static void checkColumnsNamed(
      String file, Format format, boolean header, List<String> columns) {
    if ((format == Format.CSV || format == Format.TEXT) && !header && columns.isEmpty()) {
      throw new ConfigError(
          file
              + ": a "
              + format.name().toLowerCase(Locale.ROOT)
              + " source without header needs columns = [...]");
    }
  }

  /** With {@code columns} declared, every mapped column is one of them. */
  private static void checkFieldsInColumns(
      String file, Map<Field, String> fields, List<String> columns) {
    if (columns.isEmpty()) {
      return;
    }
    for (String c : fields.values()) {
      if (!columns.contains(c)) {
        throw new ConfigError(
            file + ": fields map column '" + c + "', which is not in columns = " + columns);
      }
    }
  }

  /** {@code timezone}, default {@code ingest.default-timezone}: a time-zone id. */
  private static String timezone(Settings s, String file, String defaultTimezone) {
    String timezone = s.optString("timezone").orElse(defaultTimezone);
    try {
      java.time.ZoneId.of(timezone);
    } catch (java.time.DateTimeException e) {
      throw ConfigError.invalid(file + ": timezone", timezone, "must be a time-zone id");
    }
    return timezone;
  }

  /**
   * Lines are split on newline bytes and fields on single-byte delimiters, so the encoding must
   * write ASCII as ASCII (UTF-16 and UTF-32 cannot be read line by line).
   */
  private static void checkEncoding(String file, String encoding) {
    java.nio.charset.Charset cs;
    try {
      cs = java.nio.charset.Charset.forName(encoding);
    } catch (IllegalArgumentException e) {
      throw ConfigError.invalid(file + ": encoding", encoding, "is not a known character set");
    }
    String ascii = "\n\r\t ,;|\"'0123456789azAZ";
    if (!java.util.Arrays.equals(
        ascii.getBytes(cs), ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
      throw ConfigError.invalid(
          file + ": encoding",
          encoding,
          "must encode ASCII as single bytes (UTF-8, ISO-8859-1, windows-1252, ...)");
    }
  }
}
