package io.crmlake.common.run;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a job run produced, recorded in {@code ops.job_runs}.
 *
 * @param inputRows rows read
 * @param outputRows rows written to the job's main output
 * @param quarantinedRows rows sent to quarantine
 * @param skippedRows rows deliberately not written (duplicates already stored)
 * @param metrics anything else worth keeping (thresholds, model figures, timings), as text
 */
public record JobResult(
    long inputRows,
    long outputRows,
    long quarantinedRows,
    long skippedRows,
    Map<String, String> metrics) {

  public static JobResult of(long inputRows, long outputRows) {
    return new JobResult(inputRows, outputRows, 0, 0, new LinkedHashMap<>());
  }

  public JobResult withMetric(String key, Object value) {
    Map<String, String> m = new LinkedHashMap<>(metrics);
    m.put(key, String.valueOf(value));
    return new JobResult(inputRows, outputRows, quarantinedRows, skippedRows, m);
  }
}
