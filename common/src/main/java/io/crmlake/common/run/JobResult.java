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
 * key. A component that is a {@link Figures} record (a group of figures, such as a phase's) is
 * spread into the map, each of its components under {@code <group>_<name>}.
 */
public interface JobResult {
  /**
   * A group of a result's figures, a record nested in the result (the merge's counts, the serving
   * load's): its components go to {@code metrics} as {@code <group>_<component>}, in snake case,
   * where {@code <group>} is the name of the result's component that holds it. An empty {@code
   * Optional} group (a phase that did not run) adds nothing.
   */
  interface Figures {}

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
    put(this, "", counts, m);
    return m;
  }

  /** Puts the components of {@code record} but {@code skip}, each under prefix + its snake name. */
  private static void put(Object record, String prefix, Set<String> skip, Map<String, String> m) {
    for (RecordComponent c : record.getClass().getRecordComponents()) {
      if (skip.contains(c.getName())) {
        continue;
      }
      Object v;
      try {
        v = c.getAccessor().invoke(record);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read " + c.getName() + " of " + record, e);
      }
      if (v instanceof java.util.Optional<?> o) {
        v = o.orElse(null);
      }
      if (v instanceof Figures && v.getClass().isRecord()) {
        put(v, prefix + snake(c.getName()) + "_", Set.of(), m);
      } else if (v != null) {
        m.put(prefix + snake(c.getName()), String.valueOf(v));
      }
    }
  }

  /** {@code cappedBaskets} → {@code capped_baskets}. */
  static String snake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }
}
