package io.crmlake.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.testing.Cli;
import io.crmlake.testing.Jobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A deliberately broken landing folder: every bad row is quarantined with its reason. */
class IngestValidationTest extends SparkTestBase {
  static final String HEADER = "order_id,line_no,customer_id,order_ts,product_id,qty,price";

  @TempDir Path dir;

  static Path source(Path dir, Path landing) throws Exception {
    Path conf = dir.resolve("shop.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "name = shop",
            "location = \"" + landing.toAbsolutePath() + "\"",
            "format = csv",
            "header = true",
            "fields {",
            "  order-id = order_id",
            "  customer-id = customer_id",
            "  timestamp = order_ts",
            "  product-id = product_id",
            "  quantity = qty",
            "  unit-price = price",
            "}",
            "timestamp-formats = [\"yyyy-MM-dd HH:mm:ss\", \"yyyy-MM-dd\"]",
            "line-key = [order_id, line_no]"));
    return conf;
  }

  static void csv(Path file, String... lines) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(file, HEADER + "\n" + String.join("\n", lines) + "\n");
  }

  @Test
  void everyRowIsStoredQuarantinedOrSkippedWithItsReason() throws Exception {
    Path landing = dir.resolve("landing");
    csv(
        landing.resolve("2024-01-01.csv"),
        "O1,1,C1,2024-01-01 10:00:00,P1,2,3.50", // valid
        "O1,2,C1,2024-01-01 10:00:00,P2,1,1.25", // valid
        "O2,1,,2024-01-01 11:00:00,P1,1,3.50", // valid, no customer: kept with null customer
        "O3,1,C3,2024-13-45 11:00:00,P1,1,3.50", // BAD_TIMESTAMP
        "O4,1,C4,2024-01-01 12:00:00,P1,1,3,5O", // MALFORMED_RECORD (8 fields)
        "O5,1,C5,2024-01-01 12:00:00,P1,1,abc", // BAD_NUMBER
        ",1,C6,2024-01-01 12:00:00,P1,1,2.00", // MISSING_FIELD order id
        "O7,1,C7,2024-01-01 12:00:00,,1,2.00", // MISSING_FIELD product
        "O8,1,C8,2024-01-01 12:00:00,P1,1,-2.00", // NEGATIVE_PRICE
        "O9,1,C9,2024-01-01 12:00:00,P1,0,2.00", // ZERO_QUANTITY
        "O10,1,C1,2024-01-01,P3,-1,4.00", // valid return (negative quantity, date only)
        "O1,1,C1,2024-01-01 10:00:00,P1,2,3.50"); // duplicate of the first line, same file
    csv(
        landing.resolve("2024-01-02.csv"),
        "O1,2,C1,2024-01-01 10:00:00,P2,1,1.25", // re-delivered line: duplicate
        "O11,1,C2,2024-01-02 09:30:00,P2,3,1.25"); // valid
    Files.writeString(landing.resolve("2024-01-03.csv"), ""); // empty file
    Files.writeString(landing.resolve("2024-01-04.csv"), HEADER + "\n"); // header only

    CrmlakeConfig config = config(dir.resolve("lake"));
    Lake lake = lake(config);
    IngestResult r = Jobs.ingest(lake, config, source(dir, landing).toString());

    assertEquals(14, r.inputRows(), "rows read");
    assertEquals(5, r.outputRows(), "rows stored");
    assertEquals(7, r.quarantinedRows(), "rows rejected");
    assertEquals(2, r.skippedRows(), "duplicates");
    assertEquals(r.inputRows(), r.outputRows() + r.quarantinedRows() + r.skippedRows());

    Map<String, Long> reasons = new TreeMap<>();
    for (Row row :
        lake.read(IngestTables.TRANSACTIONS_REJECTED)
            .groupBy("reason_code")
            .count()
            .collectAsList()) {
      reasons.put(row.getString(0), row.getLong(1));
    }
    assertEquals(
        Map.of(
            "BAD_NUMBER", 1L,
            "BAD_TIMESTAMP", 1L,
            "MALFORMED_RECORD", 1L,
            "MISSING_FIELD", 2L,
            "NEGATIVE_PRICE", 1L,
            "ZERO_QUANTITY", 1L),
        reasons);
    Row bad =
        lake.read(IngestTables.TRANSACTIONS_REJECTED)
            .where("reason_code = 'BAD_TIMESTAMP'")
            .select("reason", "raw_record", "source_file")
            .first();
    assertTrue(bad.getString(0).contains("2024-13-45"), bad.getString(0));
    assertTrue(bad.getString(0).contains("order_ts"), bad.getString(0));
    assertEquals("O3,1,C3,2024-13-45 11:00:00,P1,1,3.50", bad.getString(1));
    assertTrue(bad.getString(2).endsWith("2024-01-01.csv"));
    String malformed =
        lake.read(IngestTables.TRANSACTIONS_REJECTED)
            .where("reason_code = 'MALFORMED_RECORD'")
            .first()
            .getAs("reason");
    assertTrue(malformed.contains("expected 7 fields"), malformed);

    Row silver =
        spark
            .sql(
                "SELECT count(*), count(customer_id), sum(CASE WHEN is_return THEN 1 ELSE 0 END),"
                    + " sum(amount) FROM silver.transactions")
            .first();
    assertEquals(5L, silver.getLong(0));
    assertEquals(4L, silver.getLong(1), "the line without customer is kept, customer null");
    assertEquals(1L, silver.getLong(2), "the negative quantity is a return");
    // 2 x 3.50 + 1.25 + 3.50 - 4.00 + 3 x 1.25
    assertEquals(0, new java.math.BigDecimal("11.50").compareTo(silver.getDecimal(3)));

    // Bronze holds each distinct record once: stored + rejected.
    assertEquals(12L, lake.read(IngestTables.TRANSACTIONS_RAW).count());
    // Every file is remembered, the empty ones too, with their counts.
    List<Row> files =
        lake.read(IngestTables.INGESTED_FILES)
            .orderBy("file_path")
            .select("file_path", "rows_read", "rows_stored", "rows_rejected", "rows_duplicate")
            .collectAsList();
    assertEquals(4, files.size());
    assertEquals("[2024-01-01.csv,12,4,7,1]", files.get(0).toString());
    assertEquals("[2024-01-02.csv,2,1,0,1]", files.get(1).toString());
    assertEquals("[2024-01-03.csv,0,0,0,0]", files.get(2).toString());
  }

  @Test
  void aFileMissingARequiredColumnIsQuarantinedTheOthersIngestedExit3() throws Exception {
    Path landing = dir.resolve("landing");
    csv(landing.resolve("a.csv"), "O1,1,C1,2024-01-01 10:00:00,P1,2,3.50");
    Path conf = source(dir, landing);
    Path lakeDir = dir.resolve("lake");
    String[] args = {"ingest", "--source", conf.toString(), "--lake", lakeDir.toString()};
    assertEquals(0, Cli.run(args).code());

    Lake lake = lake(config(lakeDir));
    Files.writeString(
        landing.resolve("b.csv"),
        "order_id,line_no,customer_id,order_ts,product_id,qty\nO2,1,C1,2024-01-02 10:00:00,P1,2\n");
    csv(landing.resolve("c.csv"), "O3,1,C1,2024-01-03 10:00:00,P1,2,3.50");
    Cli.Result partial = Cli.run(args);
    assertEquals(3, partial.code(), partial.out() + partial.err());
    assertTrue(partial.out().contains("b.csv"), partial.out());
    assertTrue(partial.out().contains("'price'"), partial.out());
    assertEquals(
        List.of("O1", "O3"),
        lake.read(IngestTables.TRANSACTIONS)
            .orderBy("order_id")
            .select("order_id")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList());
    Row b =
        lake.read(IngestTables.INGESTED_FILES)
            .where("file_path = 'b.csv'")
            .select("status", "reason", "rows_read")
            .first();
    assertEquals("REJECTED", b.getString(0));
    assertTrue(b.getString(1).contains("no column 'price'"), b.getString(1));
    assertEquals(0L, b.getLong(2), "a rejected file's lines are not read");
    Row last =
        lake.read(JobRunLog.JOB_RUNS)
            .orderBy(org.apache.spark.sql.functions.desc("started_at"))
            .first();
    assertEquals("SUCCEEDED", last.getAs("status"));
    assertEquals(
        "1",
        last.<scala.collection.Map<String, String>>getAs("metrics").apply("shop.rejected_files"));

    // Not read again while unchanged; read once it is delivered again, corrected.
    assertEquals(0, Cli.run(args).code());
    csv(landing.resolve("b.csv"), "O2,1,C1,2024-01-02 10:00:00,P1,2,3.50");
    Files.setLastModifiedTime(
        landing.resolve("b.csv"),
        java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    Cli.Result fixed = Cli.run(args);
    assertEquals(0, fixed.code(), fixed.out() + fixed.err());
    assertEquals(3L, lake.read(IngestTables.TRANSACTIONS).count());
    assertEquals(
        List.of("INGESTED", "REJECTED"),
        lake.read(IngestTables.INGESTED_FILES)
            .where("file_path = 'b.csv'")
            .orderBy("status")
            .select("status")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList(),
        "the file's two deliveries");
  }
}
