package io.crmlake.ingest;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.testing.DatasetAssert;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.features.CustomerDays;
import io.crmlake.testing.Jobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code silver.customer_days} as ingest maintains it: after every batch it equals the aggregate
 * recomputed from the whole of silver, and the batch's upsert changed only rows of the customers it
 * brought lines for, rewriting no other row.
 *
 * <p>A generated lake (300 customers, January to March 2024) is ingested in four batches: January
 * and February; a hand-written file of awkward lines (below); a file re-delivered under a new name
 * (every line a duplicate); March; a file whose run fails after storing its lines and before
 * logging the file, then its re-run (which reads the file again). Then a rebuild ({@code
 * ingest.rebuild-customer-days}) finds nothing to change. The awkward lines, for customers and
 * orders taken from what was stored:
 *
 * <ul>
 *   <li>a late line of a customer's first order, dated five days before it and in a category the
 *       customer never bought: the order's first day, and the category's, move five days back;
 *   <li>a return of another customer's old order, three days after it (a returns-only day);
 *   <li>a new order of a third customer on an old day;
 *   <li>a new customer whose only line is on an old day.
 * </ul>
 */
class CustomerDaysMaintenanceTest extends SparkTestBase {
  @TempDir Path dir;

  static final String HEADER =
      "order_id,line_no,customer_id,order_ts,product_id,product_name,category,quantity,unit_price";

  @Test
  void theUpsertedDaysEqualAFullRebuildAfterEveryBatchAndTouchOnlyItsCustomers() throws Exception {
    CrmlakeConfig gen =
        config(
            dir.resolve("gen"),
            "generate.customers=300",
            "generate.start=2024-01-01",
            "generate.end=2024-03-31",
            "generate.seed=11",
            "generate.customers-per-partition=150");
    Jobs.generate(lake(gen), gen);
    List<Path> files;
    try (Stream<Path> s = Files.list(dir.resolve("gen/landing/orders"))) {
      files = s.filter(f -> f.getFileName().toString().endsWith(".csv")).sorted().toList();
    }
    Path staged = dir.resolve("staged");
    Files.createDirectories(staged);
    Path conf = dir.resolve("staged.conf");
    Files.writeString(
        conf,
        Files.readString(projectDir().resolve("conf/sources/sample.conf"))
            .replace("${generate.output}\"/orders\"", "\"" + staged.toAbsolutePath() + "\""));
    CrmlakeConfig config = config(dir.resolve("lake"));
    Lake lake = lake(config);

    // 1. January and February: the table is created, from every line.
    for (Path f : files) {
      if (day(f).compareTo("2024-03") < 0) {
        Files.copy(f, staged.resolve(f.getFileName()));
      }
    }
    Jobs.ingest(lake, config, conf.toString());
    assertRebuilt(lake);

    // 2. The awkward lines.
    long before = version(lake);
    Dataset<Row> silver = lake.read(IngestTables.TRANSACTIONS).where("NOT is_return").cache();
    Row first =
        silver
            .groupBy("customer_id", "order_id")
            .agg(org.apache.spark.sql.functions.min("order_date").as("day"))
            .orderBy("customer_id", "day")
            .first();
    List<Row> others =
        silver
            .where(col("customer_id").notEqual(first.getString(0)))
            .select("customer_id", "order_id", "order_date")
            .orderBy("customer_id", "order_id")
            .limit(400)
            .collectAsList();
    Row returned = others.get(0);
    Row third =
        others.stream()
            .filter(r -> !r.getString(0).equals(returned.getString(0)))
            .findFirst()
            .orElseThrow();
    String late = first.getDate(2).toLocalDate().minusDays(5) + " 09:00:00";
    String returnDay = returned.getDate(2).toLocalDate().plusDays(3) + " 10:00:00";
    Files.writeString(
        staged.resolve("zz-late.csv"),
        String.join(
            "\n",
            HEADER,
            first.getString(1)
                + ",99,"
                + first.getString(0)
                + ","
                + late
                + ",PX,Late,late-cat,1,9.99",
            returned.getString(1)
                + ",98,"
                + returned.getString(0)
                + ","
                + returnDay
                + ",P1,A,c,-1,5.00",
            "LATE-ORDER,1," + third.getString(0) + ",2024-01-15 12:00:00,P2,B,c,2,3.00",
            "NEW-ORDER,1,NEW-CUSTOMER,2024-01-20 12:00:00,P3,C,c,1,7.50",
            ""));
    IngestResult awkward = Jobs.ingest(lake, config, conf.toString());
    assertEquals(4, awkward.outputRows());
    assertRebuilt(lake);
    assertOnlyTouchedChanged(
        lake,
        before,
        List.of(first.getString(0), returned.getString(0), third.getString(0), "NEW-CUSTOMER"));

    // 3. A file delivered again under another name: nothing stored, the table is not written.
    before = version(lake);
    Files.copy(files.get(3), staged.resolve("again-" + files.get(3).getFileName()));
    IngestResult again = Jobs.ingest(lake, config, conf.toString());
    assertEquals(0, again.outputRows());
    assertTrue(again.skippedRows() > 0);
    assertEquals(before, version(lake), "no commit for a batch that stores nothing");

    // 4. March: new days for many customers, late lines of the generator's own included.
    before = version(lake);
    for (Path f : files) {
      if (day(f).compareTo("2024-03") >= 0) {
        Files.copy(f, staged.resolve(f.getFileName()));
      }
    }
    Jobs.ingest(lake, config, conf.toString());
    assertRebuilt(lake);
    assertOnlyTouchedChanged(lake, before, customersOfTheLastRun(lake));

    // 5. A run that fails after storing its lines, before logging its file: the re-run reads
    // the file again ("resumed"), its lines are in the batch and already in silver, and each
    // counts once.
    Row someone = silver.select("customer_id", "order_id").orderBy("customer_id").first();
    Files.writeString(
        staged.resolve("zz-resumed.csv"),
        String.join(
            "\n",
            HEADER,
            "RESUMED-1,1," + someone.getString(0) + ",2024-04-02 10:00:00,P2,B,c,3,4.00",
            someone.getString(1)
                + ",97,"
                + someone.getString(0)
                + ",2024-01-10 10:00:00,P4,D,d,1,2.50",
            ""));
    assertThrows(
        io.crmlake.common.run.RunContext.InjectedFailure.class,
        () ->
            Jobs.ingest(
                lake,
                config(dir.resolve("lake"), "run.fail-at-phase=ingest:write ops.ingested_files"),
                conf.toString()));
    assertEquals(
        2L,
        lake.read(IngestTables.TRANSACTIONS)
            .where(
                col("order_id")
                    .startsWith("RESUMED")
                    .or(
                        col("order_id")
                            .equalTo(someone.getString(1))
                            .and(col("product_id").equalTo("P4"))))
            .count(),
        "the failed run stored its lines");
    IngestResult resumed = Jobs.ingest(lake, config, conf.toString());
    assertEquals(2, resumed.outputRows(), "resumed: stored again as far as counts go");
    assertRebuilt(lake);

    // 6. A rebuild (pipeline --full) recomputes every customer's days: none differs, so its
    // MERGE changes no row and Delta commits nothing.
    before = version(lake);
    Jobs.ingest(
        lake, config(dir.resolve("lake"), "ingest.rebuild-customer-days=true"), conf.toString());
    assertRebuilt(lake);
    assertEquals(before, version(lake), "a rebuild that changes nothing commits nothing");

    // 7. A day no line supports (as a run killed between the customer-days and silver commits
    // leaves when its files are then taken away) is deleted by the next rebuild, and only it.
    Dataset<Row> orphan =
        lake.read(IngestTables.CUSTOMER_DAYS)
            .limit(1)
            .withColumn("customer_id", org.apache.spark.sql.functions.lit("C-ORPHAN"));
    io.delta.tables.DeltaTable.forPath(spark, lake.path(IngestTables.CUSTOMER_DAYS))
        .as("t")
        .merge(orphan.as("s"), "t.customer_id = s.customer_id")
        .whenNotMatched()
        .insertAll()
        .execute();
    assertEquals(
        1L, lake.read(IngestTables.CUSTOMER_DAYS).where("customer_id = 'C-ORPHAN'").count());
    before = version(lake);
    Jobs.ingest(
        lake, config(dir.resolve("lake"), "ingest.rebuild-customer-days=true"), conf.toString());
    assertRebuilt(lake);
    Map<String, String> m = lake.lastCommitMetrics(IngestTables.CUSTOMER_DAYS, "MERGE");
    assertEquals(String.valueOf(version(lake)), m.get("version"), "the rebuild's commit");
    assertEquals(before + 1, version(lake));
    assertEquals("1", m.get("numTargetRowsDeleted"), m.toString());
    assertEquals("0", m.get("numTargetRowsUpdated"), m.toString());
    assertEquals("0", m.get("numTargetRowsInserted"), m.toString());
  }

  /** The day of a generated file, orders-YYYY-MM-DD.csv. */
  private static String day(Path f) {
    return f.getFileName().toString().substring("orders-".length());
  }

  /** The maintained table equals the aggregate of the whole of silver. */
  private static void assertRebuilt(Lake lake) {
    DatasetAssert.assertSameRows(
        CustomerDays.of(CustomerDays.lines(lake.read(IngestTables.TRANSACTIONS))),
        lake.read(IngestTables.CUSTOMER_DAYS));
  }

  /**
   * Between {@code before} and now, every row that changed or appeared belongs to {@code touched};
   * every other customer's rows are as they were; the upsert wrote exactly the changed rows and
   * copied none (deletion vectors: no file of unchanged rows is rewritten).
   */
  private void assertOnlyTouchedChanged(Lake lake, long before, List<String> touched) {
    Dataset<Row> then =
        spark
            .read()
            .format("delta")
            .option("versionAsOf", before)
            .load(lake.path(IngestTables.CUSTOMER_DAYS));
    Dataset<Row> now = lake.read(IngestTables.CUSTOMER_DAYS);
    Dataset<Row> keys =
        spark.createDataset(touched, org.apache.spark.sql.Encoders.STRING()).toDF("customer_id");
    Dataset<Row> changed = now.exceptAll(then);
    assertEquals(
        0L,
        changed.join(keys, "customer_id", "left_anti").count(),
        "rows of customers the batch did not touch changed");
    DatasetAssert.assertSameRows(
        then.join(keys, "customer_id", "left_anti"), now.join(keys, "customer_id", "left_anti"));
    assertTrue(changed.count() > 0, "the batch changed some days");
    Map<String, String> m = lake.lastCommitMetrics(IngestTables.CUSTOMER_DAYS, "MERGE");
    assertEquals(String.valueOf(version(lake)), m.get("version"));
    assertEquals("0", m.get("numTargetRowsCopied"), m.toString());
    assertEquals(
        changed.count(),
        Long.parseLong(m.get("numTargetRowsUpdated"))
            + Long.parseLong(m.get("numTargetRowsInserted")),
        m.toString());
  }

  private static long version(Lake lake) {
    return io.delta.tables.DeltaTable.forPath(lake.spark(), lake.path(IngestTables.CUSTOMER_DAYS))
        .history(1)
        .first()
        .getLong(0);
  }

  /** The customers with lines stored by the newest ingest run (this test's data is small). */
  private static List<String> customersOfTheLastRun(Lake lake) {
    Dataset<Row> silver = lake.read(IngestTables.TRANSACTIONS);
    String run =
        silver.orderBy(col("ingested_at").desc()).select("ingest_run_id").first().getString(0);
    return silver
        .where(col("ingest_run_id").equalTo(run).and(col("customer_id").isNotNull()))
        .select("customer_id")
        .distinct()
        .as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList();
  }
}
