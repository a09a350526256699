package io.crmlake.common.spark;

import java.util.Map;

/**
 * How a fatal error in a Spark task (StackOverflowError, OutOfMemoryError, any {@code
 * VirtualMachineError}) ends a run.
 *
 * <p>Spark's executor hands a task's fatal error (found up to {@code
 * spark.executor.killOnFatalError.depth} causes deep, 5 by default) to its uncaught-exception
 * handler, which calls {@code System.exit(50)} (52 for an OutOfMemoryError). On a cluster that ends
 * one executor: the driver retries the task elsewhere and, after {@code spark.task.maxFailures},
 * fails the job with an exception the run logs and records. In local mode the executor lives in the
 * driver's JVM, so the whole application exits with code 50 in the middle of the job: no exception
 * reaches the caller, no run is recorded as failed.
 *
 * <p>With {@code spark.executor.killOnFatalError.depth = 0} the executor treats no error as fatal:
 * the task fails like any other (after logging the error), and the job fails with a {@code
 * SparkException} whose cause is the fatal error, which the run's own error handling logs and
 * records. {@link #sparkConf} gives that setting for local masters only: a cluster executor is
 * still best killed after an OutOfMemoryError.
 */
public final class FatalErrors {
  /** Spark's setting (an internal one, present since Spark 3.3). */
  public static final String KILL_DEPTH = "spark.executor.killOnFatalError.depth";

  private FatalErrors() {}

  /**
   * The settings to give a session of {@code master} before it starts (the executor reads them when
   * it is created): {@code {spark.executor.killOnFatalError.depth=0}} for a local master ({@code
   * local}, {@code local[N]}, {@code local[*]}, {@code local[N,F]}), none otherwise ({@code
   * local-cluster}, standalone, YARN and Kubernetes executors are JVMs of their own).
   */
  public static Map<String, String> sparkConf(String master) {
    return isLocal(master) ? Map.of(KILL_DEPTH, "0") : Map.of();
  }

  /** True for masters whose executor runs in the driver's JVM. */
  public static boolean isLocal(String master) {
    if (master == null) {
      return false;
    }
    String m = master.trim();
    return m.equals("local") || m.startsWith("local[");
  }
}
