package io.crmlake.common.run;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.common.lake.Tables;
import io.crmlake.common.spark.ShufflePartitions;
import io.crmlake.common.testing.SparkTestBase;
import io.delta.tables.DeltaTable;
import java.nio.file.Path;
import java.sql.Date;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job contract on tiny jobs that produce tables declared for the clv job: the runner writes
 * only after the computation succeeded, tags every commit with the run id, records the run with its
 * typed result and phase timings, applies the declared comments, and restores the caller's job
 * group.
 */
class JobRunnerTest extends SparkTestBase {
  @TempDir Path dir;

  /** A typed result: two counts and one figure, which must reach ops.job_runs.metrics. */
  record Result(long inputRows, long outputRows, double meanScore, Optional<String> note)
      implements JobResult {}

  static Job<Result> job(String name, Function<RunContext, Outputs<Result>> compute) {
    return new Job<>() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Outputs<Result> compute(RunContext ctx) {
        return compute.apply(ctx);
      }
    };
  }

  static Dataset<Row> validationRows(Lake lake, String version, long customers) {
    Row r =
        RowFactory.create(
            version,
            Date.valueOf("2024-01-01"),
            Date.valueOf("2024-06-30"),
            26.0,
            "all",
            customers,
            1.0,
            2.0,
            0.5,
            0.6,
            0.1);
    return lake.spark().createDataFrame(List.of(r), Tables.CLV_VALIDATION.schema());
  }

  @Test
  void writesAfterComputingTagsCommitsAndRecordsTheRun() {
    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    spark.sparkContext().setJobGroup("caller", "the caller's group", false);
    List<String> groups = new ArrayList<>();
    Result r =
        JobRunner.run(
            lake,
            config,
            job(
                "clv",
                ctx -> {
                  ctx.phase("compute");
                  groups.add(spark.sparkContext().getLocalProperty("spark.jobGroup.id"));
                  Dataset<Row> rows = ctx.persist(validationRows(lake, ctx.version(), 3));
                  rows.count();
                  return Outputs.of(new Result(3, 1, 0.25, Optional.empty()))
                      .write(Tables.CLV_VALIDATION, rows)
                      .build();
                }));
    assertEquals(new Result(3, 1, 0.25, Optional.empty()), r);
    assertEquals(List.of("clv: compute"), groups);
    assertEquals(
        "caller",
        spark.sparkContext().getLocalProperty("spark.jobGroup.id"),
        "the caller's job group is restored");
    assertTrue(spark.conf().getOption(JobRunner.COMMIT_METADATA).isEmpty(), "metadata unset");
    assertTrue(spark.sharedState().cacheManager().isEmpty(), "the run's caches are released");

    Row run = lake.read(Tables.JOB_RUNS).first();
    String runId = run.getAs("run_id");
    assertTrue(runId.startsWith("clv-"), runId);
    assertEquals("SUCCEEDED", run.getAs("status"));
    assertEquals(3L, (long) run.<Long>getAs("input_rows"));
    Map<String, String> metrics = run.getJavaMap(run.fieldIndex("metrics"));
    assertEquals(Map.of("mean_score", "0.25"), metrics, "typed fields, snake case, empty left out");
    Map<String, Long> phaseMs = run.getJavaMap(run.fieldIndex("phase_ms"));
    assertTrue(phaseMs.containsKey("compute"), phaseMs.toString());
    assertTrue(phaseMs.containsKey("write gold.clv_validation"), phaseMs.toString());

    // Every commit of the run, the run log's too, carries the run id.
    for (Table t : List.of(Tables.CLV_VALIDATION, Tables.JOB_RUNS)) {
      for (Row h : DeltaTable.forPath(spark, lake.path(t)).history().collectAsList()) {
        assertEquals(runId, h.getAs("userMetadata"), t + " version " + h.getAs("version"));
      }
    }
    // The run's version is its id without the job name.
    assertEquals(
        runId.substring("clv-".length()),
        lake.read(Tables.CLV_VALIDATION).first().getAs("model_version"));
  }

  /**
   * With {@code spark.sql.shuffle.partitions} unset, a run sizes its shuffles to its input: no
   * silver yet, so 0 bytes and the 2 cores of local[2]; 40 MB added by the job (ingest adds its
   * landing files) is 5 × 8 MiB, rounded up to 8. Afterwards the setting is unset again. A set
   * value is left alone.
   */
  @Test
  void shufflesAreSizedToTheInputUnlessSet() {
    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    List<String> seen = new ArrayList<>();
    Job<Result> sized =
        job(
            "clv",
            ctx -> {
              seen.add(ctx.spark().conf().get(ShufflePartitions.KEY));
              ctx.addInputBytes(40_000_000L);
              seen.add(ctx.spark().conf().get(ShufflePartitions.KEY));
              return Outputs.of(new Result(0, 0, 0, Optional.empty())).build();
            });
    String before = spark.conf().get(ShufflePartitions.KEY);
    try {
      spark.conf().unset(ShufflePartitions.KEY);
      JobRunner.run(lake, config, sized);
      assertEquals(List.of("2", "8"), seen);
      assertFalse(spark.conf().contains(ShufflePartitions.KEY), "unset again after the run");

      seen.clear();
      spark.conf().set(ShufflePartitions.KEY, 3);
      JobRunner.run(lake, config, sized);
      assertEquals(List.of("3", "3"), seen);
      assertEquals("3", spark.conf().get(ShufflePartitions.KEY));
    } finally {
      spark.conf().set(ShufflePartitions.KEY, before);
    }
  }

  @Test
  void aFailedComputationWritesNothingAndIsRecorded() {
    CrmlakeConfig config = config(dir, "run.fail-at-phase=clv:validate");
    Lake lake = lake(config);
    List<String> order = new ArrayList<>();
    RunContext.InjectedFailure e =
        assertThrows(
            RunContext.InjectedFailure.class,
            () ->
                JobRunner.run(
                    lake,
                    config,
                    job(
                        "clv",
                        ctx -> {
                          ctx.phase("compute");
                          order.add("computed");
                          ctx.phase("validate results");
                          order.add("validated");
                          return Outputs.of(new Result(1, 1, 0, Optional.empty()))
                              .write(Tables.CLV_VALIDATION, validationRows(lake, "v", 1))
                              .build();
                        })));
    assertTrue(e.getMessage().contains("run.fail-at-phase = clv:validate"), e.getMessage());
    assertEquals(List.of("computed"), order, "the run stops at the start of the phase");
    assertFalse(lake.exists(Tables.CLV_VALIDATION), "nothing written");
    Row run = lake.read(Tables.JOB_RUNS).first();
    assertEquals("FAILED", run.getAs("status"));
    assertTrue(run.<String>getAs("error_message").contains("validate results"));
    assertNull(run.getAs("output_rows"));
  }

  @Test
  void schemaDriftFailsBeforeAnyWrite() {
    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    Table.SchemaDriftException e =
        assertThrows(
            Table.SchemaDriftException.class,
            () ->
                JobRunner.run(
                    lake,
                    config,
                    job(
                        "clv",
                        ctx ->
                            Outputs.of(new Result(1, 1, 0, Optional.empty()))
                                // gold.clv_validation is correct and comes first in write order;
                                .write(Tables.CLV_VALIDATION, validationRows(lake, "v", 1))
                                // gold.clv_models gets rows of another shape.
                                .write(
                                    Tables.CLV_MODELS,
                                    validationRows(lake, "v", 1).withColumnRenamed("mae", "error"))
                                .build())));
    assertTrue(e.getMessage().contains("gold.clv_models"), e.getMessage());
    assertTrue(e.getMessage().contains("column model is missing"), e.getMessage());
    assertTrue(e.getMessage().contains("column error is not declared"), e.getMessage());
    assertFalse(lake.exists(Tables.CLV_VALIDATION), "no table written when any output drifts");
    assertFalse(lake.exists(Tables.CLV_MODELS));
  }

  @Test
  void aTypeChangeIsDrift() {
    var declared = Tables.CLV_VALIDATION.schema();
    var retyped = validationRows(lake(config(dir)), "v", 1).selectExpr("*", "1 as extra");
    List<String> problems =
        Table.differences(
            declared,
            retyped.withColumn("customers", retyped.col("customers").cast("int")).schema());
    assertEquals(
        List.of("column extra is not declared", "column customers is int, declared bigint"),
        problems);
  }

  @Test
  void aJobMayWriteOnlyTheTablesItProduces() {
    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                JobRunner.run(
                    lake,
                    config,
                    job(
                        "baskets",
                        ctx ->
                            Outputs.of(new Result(1, 1, 0, Optional.empty()))
                                .write(Tables.CLV_VALIDATION, validationRows(lake, "v", 1))
                                .build())));
    assertTrue(e.getMessage().contains("declared as written by clv"), e.getMessage());
  }

  @Test
  void tablesGetTheDeclaredCommentsAndPartitionsAreReplaced() {
    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    Dataset<Row> clv =
        spark
            .range(3)
            .selectExpr(
                "cast(id as string) as customer_id",
                "date'2024-06-30' as observation_end",
                "date'2024-01-01' as first_purchase_date",
                "date'2024-06-01' as last_purchase_date",
                "1.0D as frequency",
                "2.0D as recency",
                "3.0D as t",
                "cast(null as double) as monetary_value",
                "0.5D as p_alive",
                "1.5D as expected_purchases",
                "20.0D as expected_avg_order_value",
                "30.0D as clv",
                "52.0D as horizon",
                "'week' as time_unit",
                "'v' as model_version");
    for (int run = 0; run < 2; run++) {
      JobRunner.run(
          lake,
          config,
          job(
              "clv",
              ctx ->
                  Outputs.of(new Result(3, 3, 0, Optional.empty()))
                      .replace(Tables.CLV, Date.valueOf("2024-06-30"), clv)
                      .build()));
    }
    assertEquals(3, lake.read(Tables.CLV).count(), "the partition is replaced, not added to");
    DeltaTable delta = DeltaTable.forPath(spark, lake.path(Tables.CLV));
    Row detail = delta.detail().first();
    assertEquals(Tables.CLV.comment(), detail.getAs("description"));
    assertEquals(List.of("observation_end"), detail.getList(detail.fieldIndex("partitionColumns")));
    var schema = delta.toDF().schema();
    for (var f : Tables.CLV.schema().fields()) {
      assertEquals(Table.commentOf(f), Table.commentOf(schema.apply(f.name())), f.name());
    }
    List<String> operations =
        delta
            .history()
            .orderBy("version")
            .select("operation")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList();
    assertEquals(
        List.of("CREATE TABLE AS SELECT", "WRITE"),
        operations,
        "one commit per run: the first creates the table with its comments");
  }

  @Test
  void aMissingInputNamesTheJobToRun() {
    Lake lake = lake(config(dir));
    Lake.MissingTableException e =
        assertThrows(Lake.MissingTableException.class, () -> lake.read(Tables.CUSTOMER_FEATURES));
    assertTrue(
        e.getMessage()
            .startsWith(
                "gold.customer_features does not exist yet: run `bin/crmlake segments` first"),
        e.getMessage());
  }

  /**
   * {@link RunContext#materialize}: the same rows in the same partitions and order, cached, behind
   * a plan that is one scan instead of the aggregations and shuffle that computed them.
   */
  @Test
  void materializeKeepsPartitionsAndOrderAndDropsTheLineage() {
    CrmlakeConfig config = config(dir);
    RunContext ctx = new RunContext(lake(config), "clv", config);
    Dataset<Row> computed =
        spark
            .range(5000)
            .withColumn("k", col("id").mod(97))
            .groupBy("k")
            .agg(sum("id").as("total"))
            .repartition(3, col("k"))
            .sortWithinPartitions("k");
    Dataset<Row> rows = ctx.materialize(computed);
    assertEquals(
        computed.javaRDD().glom().collect(),
        rows.javaRDD().glom().collect(),
        "the same rows in the same partitions, in the same order");
    assertEquals(3, rows.javaRDD().getNumPartitions());
    assertEquals(computed.schema(), rows.schema());
    String before = computed.queryExecution().analyzed().treeString();
    String after = rows.queryExecution().analyzed().treeString();
    assertTrue(before.contains("Aggregate"), before);
    assertFalse(after.contains("Aggregate") || after.contains("Repartition"), after);
    assertTrue(rows.storageLevel().useMemory(), "cached: " + rows.storageLevel());
    ctx.release();
    assertTrue(spark.sharedState().cacheManager().isEmpty(), "released with the run's caches");
  }
}
