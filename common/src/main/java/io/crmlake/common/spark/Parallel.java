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
 * its folds: on a small input each fit is mostly Spark's per-job scheduling on the driver, which
 * another fit's tasks can use the cores meanwhile. Every fit runs the same Spark jobs on the same
 * partitions as it would alone, so the results do not depend on the number of threads. The threads
 * are created here, so they inherit the caller's Spark job group.
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
      List<R> out = new ArrayList<>();
      for (Future<R> future : futures) {
        out.add(get(future));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private static <R> R get(Future<R> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a fit", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    }
  }
}
