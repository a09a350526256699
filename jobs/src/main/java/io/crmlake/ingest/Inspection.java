package io.crmlake.ingest;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a look at each file's head found before reading ({@link FileHeads}): per file, its column
 * names (from its header, matched to the source's columns ignoring case and surrounding spaces)
 * and, for Parquet, its schema; and the files that cannot be ingested at all, with the reason (a
 * header without a required column, an unreadable Parquet footer). Such a file is quarantined as a
 * whole; the other files of the run are ingested. Files gone since they were listed are in {@code
 * vanished}.
 */
record Inspection(
    Map<String, List<String>> headers,
    Map<String, String> schemas,
    Map<String, String> rejected,
    Set<String> vanished) {

  /** Nothing inspected: a source whose files have no head to look at, or no new file. */
  static final Inspection NONE = new Inspection(Map.of(), Map.of(), Map.of(), Set.of());
}
