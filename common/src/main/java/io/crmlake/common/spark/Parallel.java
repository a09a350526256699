package io.crmlake.common.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Independent model fits run side by side, as MLlib's {@code CrossValidator.setParallelism} runs
 * its folds: on a small input each fit is mostly Spark's per-job scheduling on the driver, while
 * another fit's tasks can use the cores. Every fit runs the same Spark jobs on the same partitions
 * as it would alone, so the results do not depend on the number of threads. The threads are created
 * here, so they inherit the caller's Spark job group.
 */
public final class Parallel {
  private Parallel() {}

  /** {@code f} applied to every item, at most {@code threads} at a time; results in item order. */
  public static <T, R> List<R> map(List<T> items, int threads, Function<T, R> f) {
    if (threads <= 1 || items.size() <= 1) {
      List<R> out = new ArrayList<>();
      for (T item : items) {
        out.add(f.apply(item));
      }
      return out;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, items.size()));
    try {
      List<Future<R>> futures = new ArrayList<>();
      for (T item : items) {
        futures.add(pool.submit(() -> f.apply(item)));
      }
      // Every fit is waited for, also after one failed: none may still run Spark jobs on inputs
      // the caller releases next. The first failure (in item order) is then passed on.
      List<R> out = new ArrayList<>();
      Throwable failed = null;
      for (Future<R> future : futures) {
        try {
          out.add(future.get());
        } catch (ExecutionException e) {
          failed = failed == null ? e.getCause() : failed;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for a fit", e);
        }
      }
      if (failed instanceof RuntimeException r) {
        throw r;
      }
      if (failed instanceof Error err) {
        throw err;
      }
      if (failed != null) {
        throw new IllegalStateException(failed);
      }
      return out;
    } finally {
      pool.shutdown();
    }
  }
}
