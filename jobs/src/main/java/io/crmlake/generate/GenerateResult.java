package io.crmlake.generate;

import io.crmlake.common.run.JobResult;
import java.util.Map;

/**
 * What a generate run wrote.
 *
 * @param customers customers simulated
 * @param lines order lines written (all kinds)
 * @param files daily order files
 * @param linesByKind lines per kind (ok, malformed, duplicate, return, …)
 * @param skipped true when the output already held a lake with the same parameters
 */
public record GenerateResult(
    long customers, long lines, int files, Map<String, Long> linesByKind, boolean skipped)
    implements JobResult {

  static GenerateResult skipped(long customers) {
    return new GenerateResult(customers, 0, 0, Map.of(), true);
  }

  @Override
  public long inputRows() {
    return skipped ? 0 : customers;
  }

  @Override
  public long outputRows() {
    return lines;
  }
}
