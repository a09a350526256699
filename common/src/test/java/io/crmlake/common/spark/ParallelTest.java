package io.crmlake.common.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.testing.SparkTestBase;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Fits side by side: results in item order, errors passed on, the caller's job group kept. */
class ParallelTest extends SparkTestBase {
  @Test
  void resultsComeInItemOrderWhateverFinishesFirst() {
    List<Integer> items = IntStream.range(0, 12).boxed().toList();
    Set<String> threads = ConcurrentHashMap.newKeySet();
    List<Integer> squares =
        Parallel.map(
            items,
            3,
            i -> {
              threads.add(Thread.currentThread().getName());
              try {
                Thread.sleep(5L * (12 - i)); // the first items finish last
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
              return i * i;
            });
    assertEquals(items.stream().map(i -> i * i).toList(), squares);
    assertTrue(threads.size() > 1 && threads.size() <= 3, threads.toString());
    assertEquals(List.of(1, 4), Parallel.map(List.of(1, 2), 1, i -> i * i), "one thread");
  }

  @Test
  void aFailedItemFailsTheCallWithItsOwnExceptionAfterTheOthersEnded() {
    java.util.concurrent.atomic.AtomicBoolean slowEnded =
        new java.util.concurrent.atomic.AtomicBoolean();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Parallel.map(
                    List.of(1, 2, 3),
                    2,
                    i -> {
                      if (i == 2) {
                        throw new IllegalArgumentException("item 2 failed");
                      }
                      if (i == 3) {
                        try {
                          Thread.sleep(300); // still running when item 2 fails
                        } catch (InterruptedException x) {
                          throw new IllegalStateException(x);
                        }
                        slowEnded.set(true);
                      }
                      return i;
                    }));
    assertEquals("item 2 failed", e.getMessage());
    assertTrue(slowEnded.get(), "the call waited for the item still running");
  }

  @Test
  void sparkJobsOfTheFitsRunInTheCallersJobGroup() {
    spark.sparkContext().setJobGroup("phase of the caller", "the caller's phase", false);
    try {
      List<String> groups =
          Parallel.map(
              List.of(1, 2, 3, 4),
              2,
              i -> {
                spark.range(10).count();
                return spark.sparkContext().getLocalProperty("spark.jobGroup.id");
              });
      assertEquals(
          List.of(
              "phase of the caller",
              "phase of the caller",
              "phase of the caller",
              "phase of the caller"),
          groups);
    } finally {
      spark.sparkContext().clearJobGroup();
    }
  }
}
