package io.crmlake.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.testing.Cli;
import io.crmlake.testing.FaultyFileSystem;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The malformed-input corpus ({@code src/test/resources/corpus}, its outcomes in {@code
 * expected.tsv}): every kind of bad input a landing folder gets, ingested in one run of five
 * sources as a new user would run it. Each line of the corpus must end where the manifest says —
 * stored, quarantined with its reason, stored once, or nowhere because its file was rejected as a
 * whole — and every file must be recorded as the manifest says. Large and binary inputs (a 10 MB
 * line, gzip streams, random bytes, Parquet files) are written by the test.
 */
class IngestCorpusTest extends SparkTestBase {
  static final String HEADER = "order_id,line_no,customer_id,order_ts,product_id,qty,price";

  @TempDir Path dir;

  @AfterEach
  void resetFaults() {
    FaultyFileSystem.reset();
  }

  /** One expectation of the manifest. */
  record Expected(String key, String outcome, String kind) {}

  static List<Expected> manifest() throws Exception {
    List<Expected> out = new ArrayList<>();
    for (String line : Files.readAllLines(corpus().resolve("expected.tsv"))) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t");
      out.add(new Expected(f[0], f[1], f[2]));
    }
    return out;
  }

  static Path corpus() {
    return projectDir().resolve("jobs/src/test/resources/corpus");
  }

  /** Copies the committed corpus into {@code landing} and writes the generated files. */
  void stageCorpus(Path landing) throws Exception {
    try (Stream<Path> files = Files.walk(corpus())) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(p) && !p.getFileName().toString().matches("expected.tsv|\\..*")) {
          Path to = landing.resolve(corpus().relativize(p).toString());
          Files.createDirectories(to.getParent());
          Files.copy(p, to);
        }
      }
    }
    Path shop = landing.resolve("shop");
    Files.write(
        shop.resolve("orders.csv.gz"), gzip(HEADER + "\ngz1,1,C1,2024-03-01 10:00:00,P1,1,2.50\n"));
    StringBuilder many = new StringBuilder(HEADER + "\n");
    for (int i = 0; i < 20_000; i++) {
      many.append(i == 0 ? "trunc1" : "t" + i).append(",1,C1,2024-03-01 10:00:00,P1,1,2.50\n");
    }
    byte[] whole = gzip(many.toString());
    Files.write(shop.resolve("truncated.csv.gz"), java.util.Arrays.copyOf(whole, whole.length / 2));
    byte[] garbage = new byte[4096];
    new Random(7).nextBytes(garbage);
    Files.write(shop.resolve("garbage.csv"), garbage);
    try (OutputStream out = Files.newOutputStream(shop.resolve("long_line.csv"))) {
      out.write(
          (HEADER + "\nlongline1,1,C1,2024-03-01 10:00:00,").getBytes(StandardCharsets.UTF_8));
      byte[] chunk = "P".repeat(1 << 20).getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < 10; i++) {
        out.write(chunk);
      }
      out.write(",1,2.50\n".getBytes(StandardCharsets.UTF_8));
    }
    StructType text =
        new StructType()
            .add("order_id", DataTypes.StringType)
            .add("line_no", DataTypes.IntegerType)
            .add("customer_id", DataTypes.StringType)
            .add("order_ts", DataTypes.StringType)
            .add("product_id", DataTypes.StringType)
            .add("qty", DataTypes.StringType)
            .add("price", DataTypes.DoubleType);
    spark
        .createDataFrame(
            List.of(
                RowFactory.create("pq1", 1, "C1", "2024-03-01 10:00:00", "P1", "2", 2.5),
                RowFactory.create("pq2", 1, "C1", "2024-03-01 10:00:00", "P1", "abc", 2.5)),
            text)
        .coalesce(1)
        .write()
        .parquet(landing.resolve("shop_parquet/text_qty").toString());
    StructType ints = text.add("qty_int", DataTypes.LongType);
    spark
        .createDataFrame(
            List.of(RowFactory.create("pq3", 1, "C1", "2024-03-01 10:00:00", "P1", null, 2.5, 3L)),
            ints)
        .drop("qty")
        .withColumnRenamed("qty_int", "qty")
        .coalesce(1)
        .write()
        .parquet(landing.resolve("shop_parquet/int_qty").toString());
  }

  static byte[] gzip(String text) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return bytes.toByteArray();
  }

  /** Writes a source description; {@code extra} lines are added as they are. */
  Path source(String name, String location, String format, String... extra) throws Exception {
    List<String> lines =
        new ArrayList<>(
            List.of(
                "name = " + name,
                "location = \"" + location + "\"",
                "format = " + format,
                "fields {",
                "  order-id = order_id",
                "  customer-id = customer_id",
                "  timestamp = order_ts",
                "  product-id = product_id",
                "  quantity = qty",
                "  unit-price = price",
                "}",
                "line-key = [order_id, line_no]"));
    lines.addAll(List.of(extra));
    Path conf = dir.resolve(name + ".conf");
    Files.writeString(conf, String.join("\n", lines));
    return conf;
  }

  String[] corpusSources(Path landing) throws Exception {
    String csvFormats = "timestamp-formats = [\"yyyy-MM-dd HH:mm:ss\", \"yyyy-MM-dd\"]";
    return new String[] {
      "--source",
      source(
              "shop",
              landing.resolve("shop").toString(),
              "csv",
              "header = true",
              csvFormats,
              "cancel-prefix = \"C\"")
          .toString(),
      "--source",
      source(
              "shop_latin1",
              landing.resolve("shop_latin1").toString(),
              "csv",
              "header = true",
              csvFormats,
              "encoding = \"ISO-8859-1\"")
          .toString(),
      "--source",
      source(
              "shop_berlin",
              landing.resolve("shop_berlin").toString(),
              "csv",
              "header = true",
              "timezone = \"Europe/Berlin\"")
          .toString(),
      "--source",
      source("shop_json", landing.resolve("shop_json").toString(), "json", csvFormats).toString(),
      "--source",
      source(
              "shop_parquet",
              landing.resolve("shop_parquet").toString(),
              "parquet",
              csvFormats,
              "glob = \"*.parquet\"")
          .toString()
    };
  }

  @Test
  void everyKindOfBadInputEndsWhereTheManifestSays() throws Exception {
    Path landing = dir.resolve("landing");
    stageCorpus(landing);
    Path lakeDir = dir.resolve("lake");
    List<String> args = new ArrayList<>(List.of("ingest", "--lake", lakeDir.toString()));
    args.addAll(List.of(corpusSources(landing)));
    Cli.Result run = Cli.run(args.toArray(String[]::new));
    assertEquals(3, run.code(), "files were rejected as a whole: exit 3\n" + run.out() + run.err());
    assertTrue(run.out().contains("missing_header.csv"), run.out());

    Lake lake = lake(config(lakeDir));
    List<Row> stored =
        lake.read(IngestTables.TRANSACTIONS)
            .select("order_id", "is_return", "source")
            .collectAsList();
    // Quarantined rows are matched by marker on the executors; only small columns come back.
    Map<String, Long> silverCount = new HashMap<>();
    Map<String, Boolean> isReturn = new HashMap<>();
    for (Row r : stored) {
      silverCount.merge(r.getString(0), 1L, Long::sum);
      isReturn.put(r.getString(0), r.getBoolean(1));
    }
    List<String> problems = new ArrayList<>();
    List<Expected> lineExpectations = new ArrayList<>();
    for (Expected e : manifest()) {
      if (!e.key().startsWith("file:")) {
        lineExpectations.add(e);
      }
    }
    Map<String, List<String>> quarantined = quarantinedByMarker(lake, lineExpectations);
    for (Expected e : lineExpectations) {
      long inSilver = silverCount.getOrDefault(e.key(), 0L);
      List<String> codes = quarantined.getOrDefault(e.key(), List.of());
      String where = "silver " + inSilver + ", quarantine " + codes;
      boolean ok =
          switch (e.outcome()) {
            case "STORED", "ONCE" -> inSilver == 1 && codes.isEmpty();
            case "RETURN" -> inSilver == 1 && codes.isEmpty() && isReturn.get(e.key());
            case "NOWHERE" -> inSilver == 0 && codes.isEmpty();
            default -> inSilver == 0 && codes.equals(List.of(e.outcome().substring(9)));
          };
      if (!ok) {
        problems.add(e.key() + " (" + e.kind() + "): expected " + e.outcome() + ", found " + where);
      }
    }
    Map<String, Row> files = new HashMap<>();
    for (Row r :
        lake.read(IngestTables.INGESTED_FILES)
            .select("source", "file_path", "status", "reason", "rows_read")
            .collectAsList()) {
      files.put(r.getString(0) + "/" + r.getString(1), r);
    }
    for (Expected e : manifest()) {
      if (e.key().startsWith("file:")) {
        Row f = files.get(e.key().substring(5));
        String found = f == null ? "NOT_RECORDED" : f.getString(2);
        if (!found.equals(e.outcome())) {
          problems.add(
              e.key() + " (" + e.kind() + "): expected " + e.outcome() + ", found " + found);
        }
      }
    }
    assertEquals(List.of(), problems, "lines and files that did not end where expected");
    assertTrue(manifest().size() >= 70, "the corpus has at least 25 kinds of input");

    // Row conservation: every line read is stored, quarantined or a duplicate, each once.
    Row job = lake.read(JobRunLog.JOB_RUNS).where("job = 'ingest'").orderBy("started_at").first();
    long read = job.getAs("input_rows");
    long storedRows = job.getAs("output_rows");
    long rejectedRows = job.getAs("quarantined_rows");
    long dups = job.getAs("skipped_rows");
    assertEquals(read, storedRows + rejectedRows + dups);
    assertEquals(storedRows, lake.read(IngestTables.TRANSACTIONS).count());
    assertEquals(rejectedRows, lake.read(IngestTables.TRANSACTIONS_REJECTED).count());
    assertEquals(2, dups, "dup1 delivered three times: two duplicates");
    assertEquals(
        storedRows,
        lake.read(IngestTables.TRANSACTIONS).select("line_id").distinct().count(),
        "no line stored twice");

    // Values, not just places.
    Map<String, Row> byOrder = new HashMap<>();
    for (Row r :
        lake.read(IngestTables.TRANSACTIONS)
            .where("length(order_id) < 20")
            .select("order_id", "product_id", "customer_id", "order_ts", "quantity", "amount")
            .collectAsList()) {
      byOrder.put(r.getString(0), r);
    }
    assertEquals("P,1", byOrder.get("qdel1").getString(1));
    assertEquals("P \"deluxe\"", byOrder.get("qdel2").getString(1));
    assertEquals("P9", byOrder.get("reord1").getString(1));
    assertEquals("C9", byOrder.get("reord1").getString(2));
    assertEquals(3.0, byOrder.get("reord1").getDouble(4));
    assertEquals(
        0, new java.math.BigDecimal("21.75").compareTo(byOrder.get("reord1").getDecimal(5)));
    assertEquals("Café crème", byOrder.get("latok1").getString(1));
    assertEquals(null, byOrder.get("emptycust").getString(2));
    assertEquals(null, byOrder.get("spacecust").getString(2));
    assertEquals(0, java.math.BigDecimal.ZERO.compareTo(byOrder.get("zeroprice").getDecimal(5)));
    // Berlin is UTC+1 in January, UTC+2 in July; an explicit offset wins over the zone.
    assertEquals(utc("2024-01-15 09:00:00"), byOrder.get("tzlocal").getTimestamp(3));
    assertEquals(utc("2024-01-15 05:00:00"), byOrder.get("tzoffset").getTimestamp(3));
    assertEquals(utc("2024-01-15 10:00:00"), byOrder.get("tzzulu").getTimestamp(3));
    assertEquals(utc("2024-07-15 08:00:00"), byOrder.get("tzsummer").getTimestamp(3));
    Map<String, String> reasons = new HashMap<>();
    for (Row r :
        lake.read(IngestTables.TRANSACTIONS_REJECTED)
            .select(
                org.apache.spark.sql.functions.substring(
                    org.apache.spark.sql.functions.col("raw_record"), 1, 12),
                org.apache.spark.sql.functions.col("reason"))
            .collectAsList()) {
      reasons.put(r.getString(0).split(",")[0], r.getString(1));
    }
    assertTrue(
        reasons.get("lat2").contains("0xE9") && reasons.get("lat2").contains("UTF-8"),
        reasons.get("lat2"));
    assertTrue(
        reasons.get("longcust").contains("customer_id")
            && reasons.get("longcust").contains("10000"),
        reasons.get("longcust"));
    assertTrue(reasons.get("year9999").contains("plausible"), reasons.get("year9999"));
    assertTrue(reasons.get("qnl2").contains("unterminated"), reasons.get("qnl2"));
    Row missing = files.get("shop/missing_header.csv");
    assertTrue(
        missing.getString(3).contains("has no columns ")
            && missing.getString(3).contains("'order_id'")
            && missing.getString(3).contains("'customer_id'"),
        missing.getString(3));
    assertTrue(
        files.get("shop/truncated.csv.gz").getString(3).contains("cannot read"),
        files.get("shop/truncated.csv.gz").getString(3));

    // A re-run reads nothing: every file is known, the rejected ones too, and exits 0.
    Cli.Result again = Cli.run(args.toArray(String[]::new));
    assertEquals(0, again.code(), again.out() + again.err());
    assertTrue(again.out().contains("ingest: read 0 = stored 0"), again.out());
  }

  /** Per marker, the reason codes of the quarantined rows whose raw record holds it. */
  static Map<String, List<String>> quarantinedByMarker(Lake lake, List<Expected> expected) {
    List<Row> markers = new ArrayList<>();
    for (Expected e : expected) {
      markers.add(RowFactory.create(e.key()));
    }
    Map<String, List<String>> out = new HashMap<>();
    for (Row r :
        spark
            .createDataFrame(markers, new StructType().add("marker", DataTypes.StringType))
            .join(
                lake.read(IngestTables.TRANSACTIONS_REJECTED),
                org.apache.spark.sql.functions.expr(
                    "substring(raw_record, 1, 400) RLIKE concat('(^|[^A-Za-z0-9_])', marker, '([^A-Za-z0-9_]|$)')"))
            .select("marker", "reason_code")
            .collectAsList()) {
      out.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(r.getString(1));
    }
    return out;
  }

  static Timestamp utc(String s) {
    return Timestamp.from(
        java.time.LocalDateTime.parse(s.replace(' ', 'T')).toInstant(java.time.ZoneOffset.UTC));
  }

  @Test
  void aFileThatVanishesOrGrowsWhileReadIsLeftForTheNextRunAndThenIngestedOnce() throws Exception {
    FaultyFileSystem.register(spark.sparkContext().hadoopConfiguration());
    Path landing = dir.resolve("landing");
    Files.createDirectories(landing);
    Files.writeString(
        landing.resolve("steady.csv"), HEADER + "\nsteady1,1,C1,2024-03-01 10:00:00,P1,1,2.50\n");
    Files.writeString(
        landing.resolve("vanishing.csv"), HEADER + "\nvan1,1,C1,2024-03-01 10:00:00,P1,1,2.50\n");
    Files.writeString(
        landing.resolve("growing.csv"), HEADER + "\ngrow1,1,C1,2024-03-01 10:00:00,P1,1,2.50\n");
    // The first open reads the header on the driver; the second is the task that reads the lines.
    FaultyFileSystem.vanishAtOpen("vanishing.csv", 2);
    FaultyFileSystem.growAtOpen("growing.csv", 2, "grow2,1,C1,2024-03-01 10:00:00,P1,1,2.50\n");
    Path conf =
        source(
            "shop",
            "faulty://" + landing.toAbsolutePath(),
            "csv",
            "header = true",
            "timestamp-formats = [\"yyyy-MM-dd HH:mm:ss\"]");
    String[] args = {
      "ingest", "--lake", dir.resolve("lake").toString(), "--source", conf.toString()
    };
    Cli.Result first = Cli.run(args);
    assertEquals(0, first.code(), first.out() + first.err());
    assertEquals(2, FaultyFileSystem.opens("growing.csv"), "the fault fired");
    assertTrue(first.out().contains("2 files changed or vanished"), first.out());
    Lake lake = lake(config(dir.resolve("lake")));
    assertEquals(List.of("steady1"), orderIds(lake));
    assertEquals(
        1L, lake.read(IngestTables.INGESTED_FILES).count(), "only the steady file is recorded");

    // The writer is done and the vanished file is delivered again: both are ingested, once.
    Files.writeString(
        landing.resolve("vanishing.csv"), HEADER + "\nvan1,1,C1,2024-03-01 10:00:00,P1,1,2.50\n");
    Cli.Result second = Cli.run(args);
    assertEquals(0, second.code(), second.out() + second.err());
    assertEquals(List.of("grow1", "grow2", "steady1", "van1"), orderIds(lake));
    assertEquals(0L, lake.read(IngestTables.TRANSACTIONS_REJECTED).count());
    assertFalse(second.out().contains("vanished"), second.out());
  }

  static List<String> orderIds(Lake lake) {
    return lake.read(IngestTables.TRANSACTIONS)
        .orderBy("order_id")
        .select("order_id")
        .as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList();
  }

  @Test
  void anEncodingThatCannotBeReadLineByLineIsASettingError() throws Exception {
    Path landing = dir.resolve("landing");
    Files.createDirectories(landing);
    for (String[] c :
        new String[][] {
          {"UTF-16", "must encode ASCII as single bytes"},
          {"KLINGON-8", "is not a known character set"}
        }) {
      Path conf =
          source("shop", landing.toString(), "csv", "header = true", "encoding = \"" + c[0] + "\"");
      Cli.Result r =
          Cli.run("ingest", "--lake", dir.resolve("lake").toString(), "--source", conf.toString());
      assertEquals(2, r.code());
      assertTrue(
          r.err().contains("encoding") && r.err().contains(c[0]) && r.err().contains(c[1]),
          r.err());
    }
    assertFalse(Files.exists(dir.resolve("lake/silver")), "nothing written");
  }
}
