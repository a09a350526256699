package io.crmlake.publish;

import io.crmlake.common.run.JobResult;
import java.time.LocalDate;
import java.util.Optional;

/**
 * What a publish run produced: the figures of the computation, then what each step after the writes
 * added (empty when the step did not run). In {@code ops.job_runs.metrics} the groups appear as
 * {@code merge_inserted}, {@code serving_rows}, ….
 *
 * @param asOfDate the date published (gold.customer_segments)
 * @param churnAsOfDate the churn scores used, if any
 * @param clvObservationEnd the CLV scores used, if any
 * @param missingInputs the tables missing with --allow-missing, and their empty columns
 * @param customers customers in scope
 * @param merge Delta's MERGE metrics of the commit to gold.customer_scores
 * @param previousAsOfDate the snapshot the migrations start from, if any
 * @param migrations class moves since it (value class, tier, risk band)
 * @param retentionTargets size of the retention list
 * @param winbackTargets size of the win-back list
 * @param crossSellTargets size of the cross-sell list
 * @param serving what the serving load did, when the serving database is on
 * @param exportPath the export's file set, when there is an export
 */
public record PublishResult(
    LocalDate asOfDate,
    Optional<LocalDate> churnAsOfDate,
    Optional<LocalDate> clvObservationEnd,
    String missingInputs,
    long customers,
    Optional<Merge> merge,
    Optional<LocalDate> previousAsOfDate,
    long migrations,
    long retentionTargets,
    long winbackTargets,
    long crossSellTargets,
    Optional<Serving> serving,
    Optional<String> exportPath)
    implements JobResult {

  /**
   * Delta's own MERGE metrics of this run's commit to {@code gold.customer_scores}, read back after
   * the write (the per-sync report of a CRM sync).
   *
   * @param inserted new customers
   * @param updated customers whose row changed
   * @param flagged customers no longer in scope, flagged by this run
   * @param unchanged customers in scope whose row did not change
   * @param version the Delta version of the commit
   */
  public record Merge(long inserted, long updated, long flagged, long unchanged, long version)
      implements JobResult.Figures {}

  /**
   * The load of the serving database.
   *
   * @param rows rows loaded
   * @param method copy or insert
   * @param millis time of the load, staging to swap
   * @param rowsPerSecond rows per second of that time
   * @param tables the served tables with their rows, e.g. "crm.customer_scores 5000, …"
   */
  public record Serving(long rows, String method, long millis, double rowsPerSecond, String tables)
      implements JobResult.Figures {}

  @Override
  public long inputRows() {
    return customers;
  }

  @Override
  public long outputRows() {
    return customers;
  }
}
