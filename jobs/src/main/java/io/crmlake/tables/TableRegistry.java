package io.crmlake.tables;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import io.crmlake.baskets.BasketsTables;
import io.crmlake.churn.ChurnTables;
import io.crmlake.clv.ClvTables;
import io.crmlake.common.lake.Table;
import io.crmlake.common.run.JobRunLog;
import io.crmlake.ingest.IngestTables;
import io.crmlake.publish.PublishTables;
import io.crmlake.segments.SegmentsTables;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.ArrayType;

/**
 * Every table crmlake declares, in one list: each job's own tables (declared beside the job, in
 * {@code <Job>Tables}) in the order the pipeline runs the jobs, then the run log every job writes.
 * The data dictionary ({@code bin/crmlake docs}) and the tests that check every table read it; each
 * run writes its job's tables in the order given here.
 */
public final class TableRegistry {
  /** The benchmark's results: written by {@code bench/run}, a tool outside the pipeline. */
  public static final Table BENCH_RUNS =
      Table.tool("ops", "bench_runs", "bench/run")
          .comment(
              "One row per job per benchmark run (bench/run): the job's figures and those of its"
                  + " bare-Spark reference on the same data, measured in the same JVM.")
          .append()
          .column("bench_run_id", StringType, "bench-<utc time>: one benchmark run.")
          .column("measured_at", TimestampType, "When the benchmark run started.")
          .column("customers", LongType, "Customers generated for the benchmark lake.")
          .column("job", StringType, "ingest, baskets, segments, churn, clv or publish.")
          .column("input_rows", LongType, "Rows the job read (its ops.job_runs row).")
          .column("output_rows", LongType, "Rows the job wrote to its main output.")
          .column("wall_seconds", DoubleType, "Median wall time of the job's runs.")
          .column("runs", new ArrayType(DoubleType, false), "Wall time of each run of the job.")
          .column("rows_per_second", DoubleType, "input_rows / wall_seconds.")
          .column(
              "peak_heap_mb",
              LongType,
              "Sum of the driver's heap pools' peaks during the job (an upper bound), MB.")
          .column("reference", StringType, "What the bare-Spark reference does (bench/README.md).")
          .column("reference_seconds", DoubleType, "Median wall time of the reference's runs.")
          .column("reference_peak_heap_mb", LongType, "Peak driver heap of the reference, MB.")
          .column("ratio", DoubleType, "wall_seconds / reference_seconds.")
          .column("cores", IntegerType, "Cores the JVM saw.")
          .column("max_heap_mb", LongType, "The JVM's maximum heap, MB.")
          .column("java_version", StringType, "The JVM's version.")
          .build();

  /** The pipeline's tables in write order: each job's, in pipeline order; the run log last. */
  public static final List<Table> PIPELINE =
      concat(
          IngestTables.ALL,
          BasketsTables.ALL,
          SegmentsTables.ALL,
          ChurnTables.ALL,
          ClvTables.ALL,
          PublishTables.ALL,
          List.of(JobRunLog.JOB_RUNS));

  /** Tables written by tools outside the pipeline, documented with the others. */
  public static final List<Table> TOOLS = List.of(BENCH_RUNS);

  /** Every declared table: the pipeline's, then the tools'. */
  public static List<Table> documented() {
    return concat(PIPELINE, TOOLS);
  }

  @SafeVarargs
  private static List<Table> concat(List<Table>... lists) {
    List<Table> all = new ArrayList<>();
    for (List<Table> l : lists) {
      all.addAll(l);
    }
    return List.copyOf(all);
  }

  private TableRegistry() {}
}
