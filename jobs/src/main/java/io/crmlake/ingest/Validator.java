package io.crmlake.ingest;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.crmlake.ingest.SourceSpec.Field;
import io.crmlake.ingest.SourceSpec.Format;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * Turns raw records into typed order lines and decides, per record, whether it is valid: a pure
 * {@code Dataset -> Dataset} function (no I/O), so tests call it directly.
 *
 * <p>Output: the raw columns, a deterministic {@code line_id}, the silver columns and {@code
 * reason_code}/{@code reason} (null for valid rows). The first failing rule, in the order of {@link
 * RejectReason}, names the reason.
 *
 * <p>Line id: SHA-256 (first 128 bits, hex) of the source name and the record's identity: the
 * source's {@code line-key} columns if declared (so a record re-delivered in another file is
 * recognised), else its file path below the source location and byte offset (plus item index in a
 * basket). Identical rows at different positions are different lines.
 */
public final class Validator {
  public static final DataType PRICE = DataTypes.createDecimalType(18, 4);
  public static final DataType MONEY = DataTypes.createDecimalType(18, 2);

  /** Control characters that do not belong in text (all but tab, LF and CR). */
  static final String CONTROL = "[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]";

  /**
   * Limits every source shares ({@code ingest.*}).
   *
   * @param earliest the first plausible order time
   * @param latest the last plausible order time (the run's start plus {@code max-days-ahead})
   * @param maxFieldLength the longest field, in characters
   */
  public record Limits(java.time.Instant earliest, java.time.Instant latest, int maxFieldLength)
      implements java.io.Serializable {}

  private final SourceSpec spec;
  private final Limits limits;

  public Validator(SourceSpec spec, Limits limits) {
    this.spec = spec;
    this.limits = limits;
  }

  /** The trimmed value of a source column, null when absent or empty. */
  private static Column value(String sourceColumn) {
    Column v = functions.trim(col("fields").getItem(sourceColumn));
    return when(functions.length(v).gt(0), v);
  }

  /** The staged (trimmed, empty as null) value of a source column, computed once per row. */
  private Column staged(String sourceColumn) {
    return col(stagedName(sourceColumn));
  }

  private String stagedName(String sourceColumn) {
    return "_src_" + stagedColumns().indexOf(sourceColumn);
  }

  private List<String> stagedColumns() {
    List<String> cols = new ArrayList<>(spec.requiredColumns());
    if (spec.format() == Format.BASKETS) {
      cols.add("item");
    }
    return cols;
  }

  private Column field(Field f) {
    return staged(spec.column(f));
  }

  /** A time of day followed by an offset or zone: Z, +02, +0200, +02:00, UTC, GMT, Area/City. */
  private static final String HAS_OFFSET =
      "(?i)\\d:\\d{2}(:\\d{2}([.,]\\d+)?)?\\s*(z|[+-]\\d{2}(:?\\d{2})?|utc|gmt|[a-z]+/[a-z_]+)$";

  /**
   * The raw records typed and judged: each step adds its columns in turn (staged values and line
   * id, names, order time, numbers, order id and return flag, then the reason a record is
   * rejected), and the working columns are dropped at the end.
   */
  public Dataset<Row> validate(Dataset<Row> raw) {
    Dataset<Row> df = withStagedValues(raw);
    df = withNames(df);
    df = withOrderTime(df);
    df = withNumbers(df);
    df = withOrderId(df);
    df = withReturnFlag(df);
    Dataset<Row> out =
        withReasons(withFieldChecks(df)).drop("_price", "_amount", "_control", "_long");
    for (String c : stagedColumns()) {
      out = out.drop(stagedName(c));
    }
    return out;
  }

  /**
   * {@code source}, each source column trimmed once into a staged column (everything after refers
   * to it: Spark keeps the staging projection rather than re-evaluating it in every expression),
   * and {@code line_id}.
   */
  private Dataset<Row> withStagedValues(Dataset<Row> raw) {
    Dataset<Row> df = raw.withColumn("source", lit(spec.name()));
    for (String c : stagedColumns()) {
      df = df.withColumn(stagedName(c), value(c));
    }
    return df.withColumn("line_id", lineId());
  }

  /** Canonical string values: customer, product id and name (a basket's item), category. */
  private Dataset<Row> withNames(Dataset<Row> df) {
    boolean baskets = spec.format() == Format.BASKETS;
    Column customer = spec.has(Field.CUSTOMER_ID) ? field(Field.CUSTOMER_ID) : lit(null);
    Column product =
        baskets
            ? staged("item")
            : spec.has(Field.PRODUCT_ID)
                ? field(Field.PRODUCT_ID)
                : spec.has(Field.PRODUCT_NAME) ? field(Field.PRODUCT_NAME) : lit(null);
    Column productName =
        baskets
            ? staged("item")
            : spec.has(Field.PRODUCT_NAME) ? field(Field.PRODUCT_NAME) : product;
    Column category = spec.has(Field.CATEGORY) ? field(Field.CATEGORY) : lit(null);
    return df.withColumn("customer_id", customer.cast("string"))
        .withColumn("product_id", product.cast("string"))
        .withColumn("product_name", productName.cast("string"))
        .withColumn("category", category.cast("string"));
  }

  /** {@code order_ts}: the first format that parses wins, then from the source's zone to UTC. */
  private Dataset<Row> withOrderTime(Dataset<Row> df) {
    if (spec.has(Field.TIMESTAMP)) {
      Column ts = parseTimestamp(field(Field.TIMESTAMP));
      if (!spec.timezone().equals("UTC")) {
        // A value that carries its own offset or zone is an instant already; only local times
        // are read in the source's zone.
        ts =
            when(field(Field.TIMESTAMP).rlike(HAS_OFFSET), ts)
                .otherwise(functions.to_utc_timestamp(ts, spec.timezone()));
      }
      df = df.withColumn("order_ts", ts);
    } else {
      df = df.withColumn("order_ts", lit(null).cast("timestamp"));
    }
    return df.withColumn("order_date", functions.to_date(col("order_ts")));
  }

  /**
   * {@code quantity} (1 when the source has none), the parsed {@code _price} and {@code _amount},
   * and the line's {@code unit_price} and {@code amount}, one derived from the other when the
   * source has only one.
   */
  private Dataset<Row> withNumbers(Dataset<Row> df) {
    Column qty =
        spec.has(Field.QUANTITY) ? field(Field.QUANTITY).try_cast(DataTypes.DoubleType) : lit(1.0);
    Column price = spec.has(Field.UNIT_PRICE) ? field(Field.UNIT_PRICE).try_cast(PRICE) : lit(null);
    Column amount = spec.has(Field.AMOUNT) ? field(Field.AMOUNT).try_cast(MONEY) : lit(null);
    // NaN, Infinity and 1e400 (which parses as Infinity) are not quantities.
    qty =
        when(functions.isnan(qty).or(functions.abs(qty).equalTo(Double.POSITIVE_INFINITY)), null)
            .otherwise(qty);
    df =
        df.withColumn("quantity", qty.try_cast(DataTypes.DoubleType))
            .withColumn("_price", price.try_cast(PRICE))
            .withColumn("_amount", amount.try_cast(MONEY));
    Column q = col("quantity").try_cast(PRICE);
    Column unitPrice =
        spec.has(Field.UNIT_PRICE)
            ? col("_price")
            : spec.has(Field.AMOUNT)
                ? functions.try_divide(col("_amount"), when(q.notEqual(0), q)).try_cast(PRICE)
                : lit(null).cast(PRICE);
    Column lineAmount =
        spec.has(Field.AMOUNT)
            ? col("_amount")
            : spec.has(Field.UNIT_PRICE)
                ? functions.round(functions.try_multiply(q, col("_price")), 2).try_cast(MONEY)
                : lit(null).cast(MONEY);
    return df.withColumn("unit_price", unitPrice).withColumn("amount", lineAmount);
  }

  /** {@code order_id}: declared; else one basket line; else one customer on one day. */
  private Dataset<Row> withOrderId(Dataset<Row> df) {
    Column orderId;
    if (spec.format() == Format.BASKETS) {
      orderId = concat(col("file_path"), lit(":"), col("record_pos").cast("string"));
    } else if (spec.has(Field.ORDER_ID)) {
      orderId = field(Field.ORDER_ID);
    } else {
      orderId =
          when(
              col("customer_id").isNotNull().and(col("order_date").isNotNull()),
              concat(col("customer_id"), lit("@"), col("order_date").cast("string")));
    }
    return df.withColumn("order_id", orderId.cast("string"));
  }

  /** {@code is_return}: a negative quantity or amount, or an order id with the cancel prefix. */
  private Dataset<Row> withReturnFlag(Dataset<Row> df) {
    Column cancelled =
        spec.cancelPrefix().isPresent() && spec.has(Field.ORDER_ID)
            ? coalesce(col("order_id").startsWith(spec.cancelPrefix().get()), lit(false))
            : lit(false);
    return df.withColumn(
        "is_return",
        coalesce(col("quantity").lt(0), lit(false))
            .or(coalesce(col("amount").lt(0), lit(false)))
            .or(cancelled));
  }

  private Column parseTimestamp(Column v) {
    if (spec.timestampFormats().isEmpty()) {
      return functions.try_to_timestamp(v);
    }
    List<Column> tries = new ArrayList<>();
    for (String fmt : spec.timestampFormats()) {
      tries.add(functions.try_to_timestamp(v, lit(fmt)));
    }
    return coalesce(tries.toArray(Column[]::new));
  }

  private Column lineId() {
    List<Column> position = new ArrayList<>();
    position.add(lit(spec.name()));
    position.add(col("file_path"));
    position.add(coalesce(col("record_pos").cast("string"), lit("")));
    position.add(col("item_pos").cast("string"));
    Column id = hash(position);
    if (!spec.lineKey().isEmpty()) {
      // The declared key identifies the record wherever it is delivered; a record whose key is
      // incomplete (a malformed row) falls back to its position, so such rows never collide.
      List<Column> key = new ArrayList<>();
      key.add(lit(spec.name()));
      Column complete = lit(true);
      for (String k : spec.lineKey()) {
        key.add(staged(k));
        complete = complete.and(staged(k).isNotNull());
      }
      key.add(col("item_pos").cast("string"));
      id = when(complete, hash(key)).otherwise(id);
    }
    return id;
  }

  private static Column hash(List<Column> parts) {
    return functions.sha2(concat_ws("\u001f", parts.toArray(Column[]::new)), 256).substr(1, 32);
  }

  /**
   * A rule a record may break: when {@code condition} holds (never null), the record is rejected
   * with {@code code} and {@code message}.
   */
  private record Rule(Column condition, Column code, Column message) {}

  /** Adds reason_code and reason: the first rule a record breaks, or null. */
  private Dataset<Row> withReasons(Dataset<Row> df) {
    List<Rule> rules = new ArrayList<>();
    rules.addAll(recordRules());
    rules.addAll(missingFieldRules());
    rules.addAll(timestampRules());
    rules.addAll(numberRules());
    rules.add(
        rule(col("quantity").equalTo(0), RejectReason.ZERO_QUANTITY, lit("quantity is zero")));
    Column code = lit(null).cast("string");
    Column reason = lit(null).cast("string");
    for (int i = rules.size() - 1; i >= 0; i--) {
      Rule r = rules.get(i);
      code = when(r.condition(), r.code()).otherwise(code);
      reason = when(r.condition(), r.message()).otherwise(reason);
    }
    return df.withColumn("reason_code", code).withColumn("reason", reason);
  }

  /** The record as a whole: it could not be parsed, holds binary data or a too long field. */
  private List<Rule> recordRules() {
    return List.of(
        new Rule(
            col("parse_error").isNotNull(),
            coalesce(col("parse_code"), lit(RejectReason.MALFORMED_RECORD.name())),
            col("parse_error")),
        rule(
            col("_control").isNotNull(),
            RejectReason.BINARY_DATA,
            concat(
                lit("column "),
                col("_control"),
                lit(" holds control characters (NUL or binary data), not text"))),
        rule(
            col("_long").isNotNull(),
            RejectReason.FIELD_TOO_LONG,
            concat(
                lit("column "),
                col("_long.key"),
                lit(" is "),
                functions.length(col("_long.value")).cast("string"),
                lit(
                    " characters long (ingest.max-field-length = "
                        + limits.maxFieldLength()
                        + ")"))));
  }

  /** Each declared field of an order line is present (the product name if there is no id). */
  private List<Rule> missingFieldRules() {
    List<Field> required = new ArrayList<>();
    for (Field f :
        List.of(
            Field.ORDER_ID,
            Field.PRODUCT_ID,
            Field.TIMESTAMP,
            Field.QUANTITY,
            Field.UNIT_PRICE,
            Field.AMOUNT)) {
      if (spec.has(f)) {
        required.add(f);
      }
    }
    if (!spec.has(Field.PRODUCT_ID) && spec.has(Field.PRODUCT_NAME)) {
      required.add(Field.PRODUCT_NAME);
    }
    List<Rule> rules = new ArrayList<>();
    for (Field f : required) {
      rules.add(
          rule(
              field(f).isNull(),
              RejectReason.MISSING_FIELD,
              lit(f.key + " is empty (column " + spec.column(f) + ")")));
    }
    return rules;
  }

  /** The timestamp parses, and falls in the plausible window. */
  private List<Rule> timestampRules() {
    if (!spec.has(Field.TIMESTAMP)) {
      return List.of();
    }
    return List.of(
        rule(
            col("order_ts").isNull(),
            RejectReason.BAD_TIMESTAMP,
            timestampMessage(
                "matches none of the formats "
                    + (spec.timestampFormats().isEmpty()
                        ? "[ISO-8601]"
                        : spec.timestampFormats().toString()))),
        rule(
            col("order_ts")
                .lt(lit(java.sql.Timestamp.from(limits.earliest())))
                .or(col("order_ts").gt(lit(java.sql.Timestamp.from(limits.latest())))),
            RejectReason.IMPLAUSIBLE_DATE,
            timestampMessage(
                "is outside the plausible window "
                    + limits.earliest()
                    + " .. "
                    + limits.latest()
                    + " (ingest.earliest-date, ingest.max-days-ahead)")));
  }

  /** Quantity, price and amount parse; prices are not negative; the amount fits. */
  private List<Rule> numberRules() {
    List<Rule> rules = new ArrayList<>();
    if (spec.has(Field.QUANTITY)) {
      rules.add(numberRule("quantity", col("quantity"), Field.QUANTITY));
    }
    if (spec.has(Field.UNIT_PRICE)) {
      rules.add(numberRule("unit-price", col("_price"), Field.UNIT_PRICE));
    }
    if (spec.has(Field.AMOUNT)) {
      rules.add(numberRule("amount", col("_amount"), Field.AMOUNT));
    }
    if (spec.has(Field.UNIT_PRICE)) {
      rules.add(
          rule(
              col("_price").lt(0),
              RejectReason.NEGATIVE_PRICE,
              concat(lit("unit-price "), col("_price").cast("string"), lit(" is negative"))));
    }
    if (spec.has(Field.AMOUNT)) {
      rules.add(
          rule(
              col("_amount").lt(0).and(col("quantity").gt(0)),
              RejectReason.NEGATIVE_PRICE,
              concat(
                  lit("amount "),
                  col("_amount").cast("string"),
                  lit(" is negative on a positive quantity"))));
    }
    if (spec.has(Field.UNIT_PRICE) && !spec.has(Field.AMOUNT)) {
      rules.add(
          rule(
              col("amount").isNull(),
              RejectReason.BAD_NUMBER,
              lit("quantity x unit-price does not fit a decimal(18,2) amount")));
    }
    return rules;
  }

  /** The first field holding control characters, and the first too long (entry), or null. */
  private Dataset<Row> withFieldChecks(Dataset<Row> df) {
    Column entries = functions.map_entries(col("fields"));
    int max = limits.maxFieldLength();
    return df.withColumn(
            "_control",
            functions
                .try_element_at(
                    functions.filter(entries, e -> e.getField("value").rlike(CONTROL)), lit(1))
                .getField("key"))
        .withColumn(
            "_long",
            functions.try_element_at(
                functions.filter(entries, e -> functions.length(e.getField("value")).gt(max)),
                lit(1)));
  }

  /** "timestamp '<value>' (column <c>) <what>". */
  private Column timestampMessage(String what) {
    return concat(
        lit("timestamp '"),
        field(Field.TIMESTAMP),
        lit("' (column " + spec.column(Field.TIMESTAMP) + ") " + what));
  }

  private Rule numberRule(String key, Column parsed, Field f) {
    return rule(
        parsed.isNull().and(field(f).isNotNull()),
        RejectReason.BAD_NUMBER,
        concat(
            lit(key + " '"),
            field(f),
            lit("' (column " + spec.column(f) + ") is not a finite number in range")));
  }

  private static Rule rule(Column condition, RejectReason code, Column message) {
    return new Rule(coalesce(condition, lit(false)), lit(code.name()), message);
  }
}
