package io.crmlake.ingest;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import io.crmlake.common.lake.Table;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;

/**
 * The tables the ingest job writes: the landing files' records (bronze), the clean order lines and
 * the quarantine (silver), and the file log (ops). Each declaration gives the table's place, write
 * mode, schema and the meaning of every column; the writes, the Delta comments and {@code
 * docs/tables.md} come from it. {@link #ALL} is the order in which a run writes them.
 */
public final class IngestTables {
  private static final DataType PRICE = DataTypes.createDecimalType(18, 4);

  private static final DataType MONEY = DataTypes.createDecimalType(18, 2);

  /** Filled by {@link IngestJob#bronzeRows}. */
  public static final Table TRANSACTIONS_RAW =
      Table.builder("bronze", "transactions_raw", "ingest")
          .comment(
              "Every distinct source record once, valid or not, as read from the landing files:"
                  + " raw text, parsed fields, file and position.")
          .insertNew("line_id")
          .withoutDictionary("line_id", "raw_record", "fields.key_value.value")
          .column("line_id", StringType, "Deterministic record id (see silver.transactions).")
          .column("source", StringType, "Source name, e.g. sample or cdnow_master.")
          .column("source_file", StringType, "URI of the landing file.")
          .column("file_path", StringType, "Path of the landing file below the source location.")
          .column("record_pos", LongType, "Byte offset of the record in its file, or row index.")
          .column(
              "item_pos", IntegerType, "Index of the item in a basket-list record; 0 otherwise.")
          .column("raw_record", StringType, "The record as read.")
          .column("fields", new MapType(StringType, StringType, true), "Source column → text.")
          .column("parse_error", StringType, "Why the record could not be split, if it could not.")
          .column("ingest_run_id", StringType, "The ingest run that stored it (ops.job_runs).")
          .column("ingested_at", TimestampType, "When it was stored.")
          .build();

  /** Filled by {@link IngestJob#rejectedRows}. */
  public static final Table TRANSACTIONS_REJECTED =
      Table.builder("silver", "transactions_rejected", "ingest")
          .comment(
              "The quarantine: one row per source record that failed validation, with the reason.")
          .insertNew("line_id")
          .withoutDictionary("line_id", "raw_record")
          .column("line_id", StringType, "Deterministic record id (see silver.transactions).")
          .column("source", StringType, "Source name.")
          .column("source_file", StringType, "URI of the landing file.")
          .column("record_pos", LongType, "Byte offset of the record in its file, or row index.")
          .column(
              "item_pos", IntegerType, "Index of the item in a basket-list record; 0 otherwise.")
          .column("raw_record", StringType, "The record as read.")
          .column(
              "reason_code",
              StringType,
              "Why, as a code (io.crmlake.ingest.RejectReason): ENCODING, BINARY_DATA,"
                  + " MALFORMED_RECORD, FIELD_TOO_LONG, MISSING_FIELD, BAD_TIMESTAMP,"
                  + " IMPLAUSIBLE_DATE, BAD_NUMBER, NEGATIVE_PRICE or ZERO_QUANTITY (README,"
                  + " Ingest).")
          .column("reason", StringType, "Readable reason naming the column and the bad value.")
          .column("ingest_run_id", StringType, "The ingest run that rejected it (ops.job_runs).")
          .column("rejected_at", TimestampType, "When it was rejected.")
          .build();

  /** Filled by {@link IngestJob#silverRows}. */
  public static final Table TRANSACTIONS =
      Table.builder("silver", "transactions", "ingest")
          .comment(
              "Clean, typed order lines: one row per valid source record, stored exactly once.")
          .insertNew("line_id")
          .withoutDictionary("line_id", "order_id")
          .column(
              "line_id",
              StringType,
              "Deterministic id: SHA-256 (128 bits, hex) of the source name and the record's"
                  + " identity (its line-key columns, else file path and byte offset, plus item"
                  + " index for basket lists).")
          .column("source", StringType, "Source name (sample, cdnow_master, …).")
          .column(
              "order_id",
              StringType,
              "The source's order id; <file>:<offset> for basket lists;"
                  + " <customer_id>@<order_date> for sources without order ids.")
          .column(
              "customer_id",
              StringType,
              "Customer id; null for sales without a customer (kept; customer-level jobs leave"
                  + " them out).")
          .column("order_ts", TimestampType, "Order time in UTC (midnight for dates only).")
          .column("order_date", DateType, "UTC date of order_ts.")
          .column(
              "product_id",
              StringType,
              "Product id; the product name when the source has names only; null without products.")
          .column("product_name", StringType, "Product name (= id when the source has ids only).")
          .column("category", StringType, "Product category, when the source has one.")
          .column("quantity", DoubleType, "Quantity; 1 when the source has none; negative: return.")
          .column("unit_price", PRICE, "Unit price; amount / quantity for line-amount sources.")
          .column("amount", MONEY, "Line amount: quantity × unit price rounded to cents.")
          .column(
              "is_return",
              BooleanType,
              "Negative quantity or amount, or an order id with the source's cancel-prefix.")
          .column("source_file", StringType, "URI of the landing file.")
          .column("ingest_run_id", StringType, "The ingest run that stored it (ops.job_runs).")
          .column("ingested_at", TimestampType, "When it was stored.")
          .build();

  private static final DataType SUM = DataTypes.createDecimalType(28, 2);

  /** Filled by {@link CustomerDaysUpdate#rows} with {@link io.crmlake.features.CustomerDays}. */
  public static final Table CUSTOMER_DAYS =
      Table.builder("silver", "customer_days", "ingest")
          .comment(
              "One row per customer and day with order lines: the compact aggregate of"
                  + " silver.transactions that the customer-level jobs read. Maintained by ingest:"
                  + " each run recomputes the days of the customers its batch touched from all"
                  + " their lines and upserts them; no other row is rewritten. A rebuild"
                  + " (ingest.rebuild-customer-days) also deletes days no line supports.")
          .upsert("customer_id", "order_date")
          .column("customer_id", StringType, "Customer id (lines without one are left out).")
          .column("order_date", DateType, "The day (UTC) of the customer's lines.")
          .column(
              "sale_lines", LongType, "Sale lines that day (returns excluded); 0: returns only.")
          .column("sales", SUM, "Sum of the sale lines' amounts.")
          .column("net", SUM, "Sum of all the day's amounts, returns negative.")
          .column(
              "new_orders",
              LongType,
              "Orders whose first sale line is on this day: summed over the days before a date,"
                  + " the customer's distinct orders before it.")
          .column(
              "new_categories",
              LongType,
              "Categories the customer first bought on this day: summed over the days before a"
                  + " date, the distinct categories bought before it.")
          .build();

  /** Filled by {@link FileLog#rows}. */
  public static final Table INGESTED_FILES =
      Table.builder("ops", "ingested_files", "ingest")
          .comment(
              "One row per landing file ingested or rejected: what makes ingest incremental (a file"
                  + " is read once per path, size and modification time).")
          .append()
          .column("source", StringType, "Source name.")
          .column("file_uri", StringType, "URI of the file.")
          .column("file_path", StringType, "Path below the source location.")
          .column("size_bytes", LongType, "Size when ingested.")
          .column("modification_time", TimestampType, "Modification time when ingested.")
          .column("rows_read", LongType, "Records read.")
          .column("rows_stored", LongType, "Records stored in silver.transactions.")
          .column("rows_rejected", LongType, "Records quarantined.")
          .column("rows_duplicate", LongType, "Records skipped as duplicates.")
          .column("ingest_run_id", StringType, "The ingest run (ops.job_runs).")
          .column(
              "status",
              StringType,
              "INGESTED, or REJECTED: the file as a whole could not be ingested (see reason); it is"
                  + " read again once it changes.")
          .column("reason", StringType, "Why a REJECTED file was rejected (null otherwise).")
          .build();

  /** Every table of the job, in the order a run writes them. */
  public static final List<Table> ALL =
      List.of(TRANSACTIONS_RAW, TRANSACTIONS_REJECTED, CUSTOMER_DAYS, TRANSACTIONS, INGESTED_FILES);

  private IngestTables() {}
}
