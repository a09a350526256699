package io.crmlake.common.spark;

/**
 * How many shuffle partitions a job takes when the configuration leaves {@code
 * spark.sql.shuffle.partitions} unset: one per {@code spark.bytes-per-shuffle-partition} of the
 * job's input, rounded up to a power of two (so a re-run over nearly the same bytes takes the same
 * number), at least the cluster's default parallelism and at most {@code
 * spark.max-shuffle-partitions}. A fixed count is either too many for a small lake (every stage of
 * a few thousand rows pays for 64 or 200 tasks, and the iterative MLlib learners pay it once per
 * iteration over their cached inputs, which adaptive execution does not coalesce) or too few for a
 * large one.
 */
public final class ShufflePartitions {
  /** The Spark setting sized here. */
  public static final String KEY = "spark.sql.shuffle.partitions";

  private ShufflePartitions() {}

  /** The partitions for {@code inputBytes} of input. */
  public static int of(long inputBytes, long bytesPerPartition, int parallelism, int max) {
    long wanted =
        Math.max(1, (Math.max(0, inputBytes) + bytesPerPartition - 1) / bytesPerPartition);
    long power = Long.highestOneBit(wanted);
    if (power < wanted) {
      power <<= 1;
    }
    return (int) Math.min(max, Math.max(power, parallelism));
  }
}
