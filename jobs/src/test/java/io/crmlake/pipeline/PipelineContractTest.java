package io.crmlake.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.lake.Tables;
import io.crmlake.common.run.RunContext;
import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.testing.Jobs;
import io.delta.tables.DeltaTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job contract on a whole pipeline (generate, ingest, baskets, segments, clv, churn over 400
 * generated customers): every table crmlake declares exists with exactly its declared schema, table
 * comment, column comments and partitioning; every Delta commit names the run that made it; and a
 * failure injected at the start of each job's last phase leaves every table of that job at its
 * version and is recorded in ops.job_runs.
 */
class PipelineContractTest extends SparkTestBase {
  @TempDir static Path dir;
  static CrmlakeConfig config;
  static Lake lake;

  static String[] settings(String... more) {
    return Stream.concat(
            Stream.of(
                "generate.customers=400",
                "generate.start=2024-01-01",
                "generate.end=2024-05-31",
                "generate.customers-per-partition=200",
                "segments.kmeans.k-max=3",
                "segments.kmeans.seeds=1",
                "churn.horizon-days=30",
                "churn.min-history-days=30",
                "churn.max-cutoffs=3",
                "churn.candidates=[logistic, random-forest]",
                "churn.grid.logistic.reg-param=[0.01]",
                "churn.grid.random-forest.num-trees=[20]",
                "churn.grid.random-forest.max-depth=[4]",
                "clv.starts=1"),
            Stream.of(more))
        .toArray(String[]::new);
  }

  @BeforeAll
  static void pipeline() {
    config = config(dir, settings());
    lake = lake(config);
    Jobs.generate(lake, config);
    Jobs.ingest(lake, config);
    Jobs.baskets(lake, config);
    Jobs.segments(lake, config);
    Jobs.clv(lake, config);
    Jobs.churn(lake, config);
  }

  @Test
  void everyTableEqualsItsDeclaration() {
    for (Table t : Tables.ALL) {
      assertTrue(lake.exists(t), t + " was written by the pipeline");
      DeltaTable delta = DeltaTable.forPath(spark, lake.path(t));
      StructType actual = delta.toDF().schema();
      assertEquals(List.of(), Table.differences(t.schema(), actual), t + " schema");
      assertEquals(
          List.of(t.schema().fieldNames()), List.of(actual.fieldNames()), t + " column order");
      for (StructField f : t.schema().fields()) {
        assertEquals(
            Table.commentOf(f), Table.commentOf(actual.apply(f.name())), t + "." + f.name());
      }
      Row detail = delta.detail().first();
      assertEquals(t.comment(), detail.getAs("description"), t + " comment");
      assertEquals(
          t.partitionBy(),
          detail.getList(detail.fieldIndex("partitionColumns")),
          t + " partitions");
    }
  }

  @Test
  void describeShowsTheCommentsAndHistoryShowsTheRunOfEachWrite() {
    // DESCRIBE TABLE EXTENDED: (col_name, data_type, comment) per column, then ("Comment",
    // <table comment>, "") among the detailed table information.
    Map<String, Row> described = new LinkedHashMap<>();
    for (Row r : spark.sql("DESCRIBE TABLE EXTENDED gold.customer_segments").collectAsList()) {
      described.putIfAbsent(r.getString(0), r);
    }
    for (StructField f : Tables.CUSTOMER_SEGMENTS.schema().fields()) {
      assertEquals(Table.commentOf(f), described.get(f.name()).getString(2), f.name());
    }
    assertEquals(Tables.CUSTOMER_SEGMENTS.comment(), described.get("Comment").getString(1));

    Set<String> runs =
        new HashSet<>(
            lake.read(Tables.JOB_RUNS).select("run_id").as(Encoders.STRING()).collectAsList());
    for (Table t : Tables.ALL) {
      for (Row h : spark.sql("DESCRIBE HISTORY " + t.sqlName()).collectAsList()) {
        String run = h.getAs("userMetadata");
        assertTrue(runs.contains(run), t + " version " + h.getAs("version") + ": " + run);
        assertTrue(run.startsWith(t.producer() + "-") || t == Tables.JOB_RUNS, t + ": " + run);
      }
    }
  }

  @Test
  void aFailureInTheLastPhaseLeavesEveryTableOfTheJobAsItWas() throws Exception {
    // A new landing file (a copy: its lines are duplicates) that ingest would record.
    Path orders = dir.resolve("landing/orders");
    try (Stream<Path> files = Files.list(orders)) {
      Path first = files.filter(p -> p.toString().endsWith(".csv")).sorted().findFirst().get();
      Files.copy(first, orders.resolve("orders-copy.csv"));
    }
    Map<String, Consumer<CrmlakeConfig>> jobs = new LinkedHashMap<>();
    jobs.put("ingest:read and validate", c -> Jobs.ingest(lake, c));
    jobs.put("baskets:recommendations", c -> Jobs.baskets(lake, c));
    jobs.put("segments:segment profiles", c -> Jobs.segments(lake, c));
    jobs.put("clv:full fit", c -> Jobs.clv(lake, c));
    jobs.put("churn:scoring", c -> Jobs.churn(lake, c));
    for (Map.Entry<String, Consumer<CrmlakeConfig>> job : jobs.entrySet()) {
      String name = job.getKey().substring(0, job.getKey().indexOf(':'));
      List<Table> produced = Tables.ALL.stream().filter(t -> t.producer().equals(name)).toList();
      Map<Table, Long> before = versions(produced);
      CrmlakeConfig failing = config(dir, settings("run.fail-at-phase=" + job.getKey()));
      RunContext.InjectedFailure e =
          assertThrows(RunContext.InjectedFailure.class, () -> job.getValue().accept(failing));
      assertTrue(e.getMessage().contains(job.getKey().substring(name.length() + 1)));
      assertEquals(before, versions(produced), name + ": no table of the job changed");
      Row last =
          lake.read(Tables.JOB_RUNS)
              .where("job = '" + name + "'")
              .orderBy(org.apache.spark.sql.functions.col("started_at").desc())
              .first();
      assertEquals("FAILED", last.getAs("status"), name);
      assertTrue(last.<String>getAs("error_message").contains("run.fail-at-phase"), name);
    }
    // Without the failure the same ingest run writes: the new file is recorded.
    long files = lake.read(Tables.INGESTED_FILES).count();
    Jobs.ingest(lake, config);
    assertEquals(files + 1, lake.read(Tables.INGESTED_FILES).count());
  }

  private static Map<Table, Long> versions(List<Table> tables) {
    Map<Table, Long> v = new LinkedHashMap<>();
    for (Table t : tables) {
      v.put(t, DeltaTable.forPath(spark, lake.path(t)).history(1).first().<Long>getAs("version"));
    }
    return v;
  }
}
