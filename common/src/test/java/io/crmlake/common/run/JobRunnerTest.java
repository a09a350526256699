package io.crmlake.common.run;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
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
 * The job contract on tiny jobs of a test job "scorer" that declares its own tables, as every job
 * does: the runner writes only after the computation succeeded, in the job's declared order, tags
 * every commit with the run id, records the run with its typed result and phase timings, applies
 * the declared comments, and restores the caller's job group.
 */
class JobRunnerTest extends SparkTestBase {
  @TempDir Path dir;

  /** The scorer's input: never written here, so 0 bytes. */
  static final Table LINES =
      Table.builder("silver", "lines", "loader")
          .comment("Input lines.")
          .insertNew("line_id")
          .column("line_id", StringType, "Line id.")
          .build();

  /** One row per run and group: a check of the run's scores. */
  static final Table CHECKS =
      Table.builder("gold", "checks", "scorer")
          .comment("Checks of the scores.")
          .overwrite()
          .column("model_version", StringType, "The run.")
          .column("as_of_date", DateType, "Date scored.")
          .column("group", StringType, "Customer group.")
          .column("customers", LongType, "Customers in the group.")
          .column("mae", DoubleType, "Mean absolute error.")
          .build();

  /** The scorer's fits; written after the checks. */
  static final Table FITS =
      Table.builder("gold", "fits", "scorer")
          .comment("Fits.")
          .append()
          .column("model_version", StringType, "The run.")
          .column("model", StringType, "The model fitted.")
          .build();

  /** Scores per customer and as-of date. */
  static final Table SCORES =
      Table.builder("gold", "scores", "scorer")
          .comment("Scores per customer and as-of date.")
          .replacePartition("as_of_date")
          .column("customer_id", StringType, "Customer id.")
          .column("as_of_date", DateType, "Date scored.")
          .column("score", DoubleType, "The score.")
          .column("model_version", StringType, "The run that scored.")
          .build();

  /** The scorer's tables in write order. */
  static final List<Table> SCORER_TABLES = List.of(SCORES, CHECKS, FITS);

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
      public List<Table> outputs() {
        return name.equals("scorer") ? SCORER_TABLES : List.of();
      }

      @Override
      public Optional<Table> mainInput() {
        return Optional.of(LINES);
      }

      @Override
      public Outputs<Result> compute(RunContext ctx) {
        return compute.apply(ctx);
      }
    };
  }

  static Dataset<Row> checkRows(Lake lake, String version, long customers) {
    Row r = RowFactory.create(version, Date.valueOf("2024-06-30"), "all", customers, 0.1);
    return lake.spark().createDataFrame(List.of(r), CHECKS.schema());
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
                "scorer",
                ctx -> {
                  ctx.phase("compute");
                  groups.add(spark.sparkContext().getLocalProperty("spark.jobGroup.id"));
                  Dataset<Row> rows = ctx.persist(checkRows(lake, ctx.version(), 3));
                  rows.count();
                  return Outputs.of(new Result(3, 1, 0.25, Optional.empty()))
                      .write(CHECKS, rows)
                      .build();
                }));
    assertEquals(new Result(3, 1, 0.25, Optional.empty()), r);
    assertEquals(List.of("scorer: compute"), groups);
    assertEquals(
        "caller",
        spark.sparkContext().getLocalProperty("spark.jobGroup.id"),
        "the caller's job group is restored");
    assertTrue(spark.conf().getOption(JobRunner.COMMIT_METADATA).isEmpty(), "metadata unset");
    assertTrue(spark.sharedState().cacheManager().isEmpty(), "the run's caches are released");

    Row run = lake.read(JobRunLog.JOB_RUNS).first();
    String runId = run.getAs("run_id");
    assertTrue(runId.startsWith("scorer-"), runId);
    assertEquals("SUCCEEDED", run.getAs("status"));
    assertEquals(3L, (long) run.<Long>getAs("input_rows"));
    Map<String, String> metrics = run.getJavaMap(run.fieldIndex("metrics"));
    assertEquals(Map.of("mean_score", "0.25"), metrics, "typed fields, snake case, empty left out");
    Map<String, Long> phaseMs = run.getJavaMap(run.fieldIndex("phase_ms"));
    assertTrue(phaseMs.containsKey("compute"), phaseMs.toString());
    assertTrue(phaseMs.containsKey("write gold.checks"), phaseMs.toString());

    // Every commit of the run, the run log's too, carries the run id.
    for (Table t : List.of(CHECKS, JobRunLog.JOB_RUNS)) {
      for (Row h : DeltaTable.forPath(spark, lake.path(t)).history().collectAsList()) {
        assertEquals(runId, h.getAs("userMetadata"), t + " version " + h.getAs("version"));
      }
    }
    // The run's version is its id without the job name.
    assertEquals(
        runId.substring("scorer-".length()), lake.read(CHECKS).first().getAs("model_version"));
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
            "scorer",
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
    CrmlakeConfig config = config(dir, "run.fail-at-phase=scorer:validate");
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
                        "scorer",
                        ctx -> {
                          ctx.phase("compute");
                          order.add("computed");
                          ctx.phase("validate results");
                          order.add("validated");
                          return Outputs.of(new Result(1, 1, 0, Optional.empty()))
                              .write(CHECKS, checkRows(lake, "v", 1))
                              .build();
                        })));
    assertTrue(e.getMessage().contains("run.fail-at-phase = scorer:validate"), e.getMessage());
    assertEquals(List.of("computed"), order, "the run stops at the start of the phase");
    assertFalse(lake.exists(CHECKS), "nothing written");
    Row run = lake.read(JobRunLog.JOB_RUNS).first();
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
                        "scorer",
                        ctx ->
                            Outputs.of(new Result(1, 1, 0, Optional.empty()))
                                // gold.checks is correct and comes first in write order;
                                .write(CHECKS, checkRows(lake, "v", 1))
                                // gold.fits gets rows of another shape.
                                .write(
                                    FITS, checkRows(lake, "v", 1).withColumnRenamed("mae", "error"))
                                .build())));
    assertTrue(e.getMessage().contains("gold.fits"), e.getMessage());
    assertTrue(e.getMessage().contains("column model is missing"), e.getMessage());
    assertTrue(e.getMessage().contains("column error is not declared"), e.getMessage());
    assertFalse(lake.exists(CHECKS), "no table written when any output drifts");
    assertFalse(lake.exists(FITS));
  }

  @Test
  void aTypeChangeIsDrift() {
    var declared = CHECKS.schema();
    var retyped = checkRows(lake(config(dir)), "v", 1).selectExpr("*", "1 as extra");
    List<String> problems =
        Table.differences(
            declared,
            retyped.withColumn("customers", retyped.col("customers").cast("int")).schema());
    assertEquals(
        List.of("column extra is not declared", "column customers is int, declared bigint"),
        problems);
  }

  @Test
  void aJobMayWriteOnlyItsOwnTables() {
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
                                .write(CHECKS, checkRows(lake, "v", 1))
                                .build())));
    assertTrue(
        e.getMessage()
            .contains(
                "baskets may not write gold.checks: it is not one of its tables (declared as"
                    + " written by scorer)"),
        e.getMessage());
  }

  @Test
  void tablesGetTheDeclaredCommentsAndPartitionsAreReplaced() {
    CrmlakeConfig config = config(dir);
    Lake lake = lake(config);
    Dataset<Row> scores =
        spark
            .range(3)
            .selectExpr(
                "cast(id as string) as customer_id",
                "date'2024-06-30' as as_of_date",
                "0.5D as score",
                "'v' as model_version");
    for (int run = 0; run < 2; run++) {
      JobRunner.run(
          lake,
          config,
          job(
              "scorer",
              ctx ->
                  Outputs.of(new Result(3, 3, 0, Optional.empty()))
                      .replace(SCORES, Date.valueOf("2024-06-30"), scores)
                      .build()));
    }
    assertEquals(3, lake.read(SCORES).count(), "the partition is replaced, not added to");
    DeltaTable delta = DeltaTable.forPath(spark, lake.path(SCORES));
    Row detail = delta.detail().first();
    assertEquals(SCORES.comment(), detail.getAs("description"));
    assertEquals(List.of("as_of_date"), detail.getList(detail.fieldIndex("partitionColumns")));
    var schema = delta.toDF().schema();
    for (var f : SCORES.schema().fields()) {
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
        assertThrows(Lake.MissingTableException.class, () -> lake.read(SCORES));
    assertTrue(
        e.getMessage().startsWith("gold.scores does not exist yet: run `bin/crmlake scorer` first"),
        e.getMessage());
    e = assertThrows(Lake.MissingTableException.class, () -> lake.read(JobRunLog.JOB_RUNS));
    assertTrue(
        e.getMessage().startsWith("ops.job_runs does not exist yet: run any job first"),
        e.getMessage());
    Table tool =
        Table.tool("ops", "timings", "bench/run")
            .comment("Timings.")
            .append()
            .column("seconds", DoubleType, "Seconds.")
            .build();
    e = assertThrows(Lake.MissingTableException.class, () -> lake.read(tool));
    assertTrue(
        e.getMessage().startsWith("ops.timings does not exist yet: run `bench/run` first"),
        e.getMessage());
  }

  /**
   * {@link RunContext#materialize}: the same rows in the same partitions and order, cached, behind
   * a plan that is one scan instead of the aggregations and shuffle that computed them.
   */
  @Test
  void materializeKeepsPartitionsAndOrderAndDropsTheLineage() {
    CrmlakeConfig config = config(dir);
    RunContext ctx = new RunContext(lake(config), "scorer", config);
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
