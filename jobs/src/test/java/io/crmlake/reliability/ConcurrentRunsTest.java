package io.crmlake.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.ingest.IngestTables;
import io.crmlake.segments.SegmentsTables;
import io.crmlake.testing.ChildJvm;
import io.crmlake.testing.Cli;
import io.crmlake.testing.Jobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs that overlap, each in its own JVM on one lake: two ingests of the same landing folder
 * started at once (one runs, the other fails fast with exit code 4 naming the first; every line is
 * stored once), and an ingest while segments reads silver (both succeed; segments saw one
 * consistent version of silver, before or after the ingest's commit).
 */
class ConcurrentRunsTest extends SparkTestBase {
  @TempDir Path dir;

  static final Path LOGS = projectDir().resolve("jobs/target/concurrency-logs");

  List<String> args(String command) {
    List<String> out = new ArrayList<>(List.of(command, "--lake", dir.resolve("lake").toString()));
    for (String s :
        List.of(
            "lake.landing=" + dir.resolve("landing"),
            "segments.kmeans.k-max=3",
            "segments.kmeans.seeds=1",
            "spark.master=local[1]",
            "spark.conf.\"spark.ui.enabled\"=false",
            "spark.conf.\"spark.sql.shuffle.partitions\"=4")) {
      out.add("--set");
      out.add(s);
    }
    return out;
  }

  CrmlakeConfig config() {
    return config(
        dir.resolve("lake"),
        "lake.landing=" + dir.resolve("landing"),
        "generate.customers=300",
        "generate.start=2024-01-01",
        "generate.end=2024-04-30",
        "generate.customers-per-partition=150");
  }

  /** Moves the order files of {@code month} (yyyy-MM) aside; returns where they went. */
  Path moveAside(String month) throws Exception {
    Path orders = dir.resolve("landing/orders");
    Path aside = dir.resolve("aside");
    Files.createDirectories(aside);
    try (var files = Files.list(orders)) {
      for (Path f : files.filter(p -> p.getFileName().toString().contains(month)).toList()) {
        Files.move(f, aside.resolve(f.getFileName()));
      }
    }
    return aside;
  }

  void moveBack(Path aside) throws Exception {
    try (var files = Files.list(aside)) {
      // Not Spark's hidden checksum and marker files, which ingest does not read either.
      for (Path f :
          files
              .filter(f -> !f.getFileName().toString().startsWith("."))
              .filter(f -> !f.getFileName().toString().startsWith("_"))
              .toList()) {
        Files.move(f, dir.resolve("landing/orders").resolve(f.getFileName()));
      }
    }
  }

  @Test
  void twoIngestsAtOnceStoreEveryLineOnce() throws Exception {
    CrmlakeConfig config = config();
    Lake lake = lake(config);
    Jobs.generate(lake, config);

    ChildJvm a = ChildJvm.start(LOGS, "ingest-a", Map.of(), args("ingest"));
    ChildJvm b = ChildJvm.start(LOGS, "ingest-b", Map.of(), args("ingest"));
    int codeA = a.waitFor(Duration.ofMinutes(5));
    int codeB = b.waitFor(Duration.ofMinutes(5));
    List<Integer> codes = new ArrayList<>(List.of(codeA, codeB));
    codes.sort(null);
    assertTrue(
        codes.equals(List.of(0, 4)) || codes.equals(List.of(0, 0)),
        "exit codes " + codes + "\n" + a.tail() + "\n" + b.tail());
    ChildJvm locked = codeA == 4 ? a : b;
    if (codes.equals(List.of(0, 4))) {
      assertTrue(locked.err().contains("another run of ingest holds its lock"), locked.err());
    }

    Dataset<Row> silver = lake.read(IngestTables.TRANSACTIONS);
    long stored = silver.count();
    assertEquals(stored, silver.select("line_id").distinct().count(), "a line stored twice");
    Row books =
        lake.read(IngestTables.INGESTED_FILES)
            .agg(
                functions.count("*"),
                functions.countDistinct("file_path"),
                functions.sum("rows_stored"),
                functions.sum("rows_read"),
                functions.sum("rows_duplicate"),
                functions.sum("rows_rejected"))
            .first();
    assertEquals(books.getLong(0), books.getLong(1), "a file recorded twice");
    assertEquals(stored, books.getLong(2));
    assertEquals(books.getLong(3), books.getLong(2) + books.getLong(4) + books.getLong(5));
    long lines;
    try (var files = Files.list(dir.resolve("landing/orders"))) {
      lines = 0;
      // Not Spark's hidden checksum and marker files, which ingest does not read either.
      for (Path f :
          files
              .filter(f -> !f.getFileName().toString().startsWith("."))
              .filter(f -> !f.getFileName().toString().startsWith("_"))
              .toList()) {
        // Bytes as Latin-1: the generator plants lines that are not valid UTF-8.
        lines +=
            Files.readAllLines(f, java.nio.charset.StandardCharsets.ISO_8859_1).stream()
                .skip(1)
                .filter(l -> !l.isBlank())
                .count();
      }
    }
    assertEquals(lines, books.getLong(3), "every line of the landing was read, once");
  }

  @Test
  void anIngestWhileSegmentsReadsSilverLeavesBothConsistent() throws Exception {
    CrmlakeConfig config = config();
    Lake lake = lake(config);
    Jobs.generate(lake, config);
    Path aside = moveAside("2024-04");
    Cli.Result first = Cli.run(args("ingest").toArray(String[]::new));
    assertEquals(0, first.code(), first.err());
    long before =
        io.delta.tables.DeltaTable.forPath(spark, lake.path(IngestTables.TRANSACTIONS))
            .history(1)
            .first()
            .getLong(0);
    moveBack(aside);

    ChildJvm segments = ChildJvm.start(LOGS, "segments", Map.of(), args("segments"));
    ChildJvm ingest = ChildJvm.start(LOGS, "ingest-more", Map.of(), args("ingest"));
    assertEquals(0, ingest.waitFor(Duration.ofMinutes(5)), ingest.tail());
    assertEquals(0, segments.waitFor(Duration.ofMinutes(5)), segments.tail());

    // Segments saw silver at one version: its customers are those of silver then.
    Row seg =
        lake.read(SegmentsTables.CUSTOMER_SEGMENTS)
            .agg(functions.max("as_of_date"), functions.count("*"))
            .first();
    java.sql.Date asOf = seg.getDate(0);
    Set<Long> possible = new java.util.HashSet<>();
    for (long v : new long[] {before, before + 1}) {
      possible.add(
          spark
              .read()
              .format("delta")
              .option("versionAsOf", v)
              .load(lake.path(IngestTables.TRANSACTIONS))
              .where(functions.col("customer_id").isNotNull())
              .where(functions.col("order_ts").lt(functions.lit(asOf)))
              .select("customer_id")
              .distinct()
              .count());
    }
    assertTrue(possible.contains(seg.getLong(1)), seg + " vs " + possible);
    assertEquals(
        lake.read(IngestTables.TRANSACTIONS).count(),
        lake.read(IngestTables.TRANSACTIONS).select("line_id").distinct().count());
  }
}
