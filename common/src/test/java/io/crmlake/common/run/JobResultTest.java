package io.crmlake.common.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How a typed result becomes the {@code ops.job_runs.metrics} map. */
class JobResultTest {
  /** A phase's figures, nested in the result. */
  record Merge(long inserted, long updated) implements JobResult.Figures {}

  /** A group of figures that a run may not have. */
  record Serving(long rows, String method) implements JobResult.Figures {}

  /** A nested record that is not a group of figures: kept as one value. */
  record Window(int days) {}

  record Result(
      long inputRows,
      long outputRows,
      double meanScore,
      Merge merge,
      Optional<Serving> serving,
      Optional<String> note,
      Window window)
      implements JobResult {}

  /**
   * Counts go to their own columns, not the map; plain components under their snake-case names; a
   * group's components under {@code <group>_<name>}; empty optionals leave nothing; a record that
   * is no group keeps its text.
   */
  @Test
  void groupsAreSpreadUnderTheirNameAndEmptyOnesLeaveNothing() {
    Result r =
        new Result(
            10,
            9,
            0.5,
            new Merge(3, 4),
            Optional.of(new Serving(9, "copy")),
            Optional.empty(),
            new Window(90));
    Map<String, String> want = new LinkedHashMap<>();
    want.put("mean_score", "0.5");
    want.put("merge_inserted", "3");
    want.put("merge_updated", "4");
    want.put("serving_rows", "9");
    want.put("serving_method", "copy");
    want.put("window", "Window[days=90]");
    assertEquals(want, r.metrics());
    assertEquals(
        java.util.List.copyOf(want.keySet()),
        java.util.List.copyOf(r.metrics().keySet()),
        "in the order of the components");

    Result without =
        new Result(1, 1, 0.5, new Merge(0, 0), Optional.empty(), Optional.empty(), new Window(1));
    assertEquals(
        java.util.Set.of("mean_score", "merge_inserted", "merge_updated", "window"),
        without.metrics().keySet());
  }
}
