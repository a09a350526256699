package io.crmlake.common.run;

import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a job run produced: implemented by one record per job. The four counts go to their columns
 * of {@code ops.job_runs}; every other component of the record goes to its {@code metrics} map,
 * under its name in snake case, so a job reports a figure by adding a component, never by a string
 * key.
 */
public interface JobResult {
  /** Rows the job read. */
  long inputRows();

  /** Rows written to the job's main output. */
  long outputRows();

  /** Rows sent to quarantine. */
  default long quarantinedRows() {
    return 0;
  }

  /** Rows deliberately not written (duplicates already stored). */
  default long skippedRows() {
    return 0;
  }

  /** The record's other components as text, for {@code ops.job_runs.metrics}. */
  default Map<String, String> metrics() {
    Map<String, String> m = new LinkedHashMap<>();
    if (!getClass().isRecord()) {
      return m;
    }
    Set<String> counts = Set.of("inputRows", "outputRows", "quarantinedRows", "skippedRows");
    for (RecordComponent c : getClass().getRecordComponents()) {
      if (counts.contains(c.getName())) {
        continue;
      }
      try {
        Object v = c.getAccessor().invoke(this);
        if (v instanceof java.util.Optional<?> o) {
          v = o.orElse(null);
        }
        if (v != null) {
          m.put(snake(c.getName()), String.valueOf(v));
        }
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read " + c.getName() + " of " + this, e);
      }
    }
    return m;
  }

  /** {@code cappedBaskets} → {@code capped_baskets}. */
  static String snake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }
}
