package io.crmlake.common.run;

import io.crmlake.common.lake.Table;
import java.util.List;
import java.util.Optional;

/**
 * The contract every crmlake job follows. A job is built from its typed settings (validated before
 * Spark starts), then {@link #compute} reads what it needs and computes every output without
 * writing any table; it returns the rows to write and a typed result. {@link JobRunner} does the
 * rest the same way for every job: session, run log, Spark job groups, phase timings, the schema
 * check against each table's declaration, the writes in a fixed order and the release of caches. A
 * job whose computation fails therefore writes nothing.
 *
 * @param <R> the job's result record
 */
public interface Job<R extends JobResult> {
  /** The job's name: the command, the Spark application suffix, {@code ops.job_runs.job}. */
  String name();

  /**
   * The tables this job writes, declared beside it, in the order a run writes them (one Delta
   * commit each). A run may write no other table.
   */
  List<Table> outputs();

  /**
   * The table whose size in bytes sizes the run's shuffles when the session leaves {@code
   * spark.sql.shuffle.partitions} unset ({@link io.crmlake.common.spark.ShufflePartitions}): the
   * job's main input; empty for a job that reads no table.
   */
  Optional<Table> mainInput();

  /**
   * Computes the job's outputs; writes no table. Datasets to be written or reused should be cached
   * with {@link RunContext#persist}, which the runner releases after the writes.
   */
  Outputs<R> compute(RunContext ctx);
}
