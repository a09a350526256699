package io.crmlake.publish;

import io.crmlake.common.run.JobResult;
import java.time.LocalDate;
import java.util.Optional;

/**
 * What a publish run produced. The merge counts are Delta's own MERGE metrics of the commit to
 * {@code gold.customer_scores}, read back after the write (the per-sync report of a CRM sync).
 *
 * @param asOfDate the date published (gold.customer_segments)
 * @param churnAsOfDate the churn scores used, if any
 * @param clvObservationEnd the CLV scores used, if any
 * @param missingInputs the tables missing with --allow-missing, and their empty columns
 * @param customers customers in scope
 * @param mergeInserted new customers
 * @param mergeUpdated customers whose row changed
 * @param mergeFlagged customers no longer in scope, flagged by this run
 * @param mergeUnchanged customers in scope whose row did not change
 * @param customerScoresVersion the Delta version of the commit to gold.customer_scores
 * @param previousAsOfDate the snapshot the migrations start from, if any
 * @param migrations class moves since it (value class, tier, risk band)
 * @param retentionTargets size of the retention list
 * @param winbackTargets size of the win-back list
 * @param crossSellTargets size of the cross-sell list
 * @param servedRows rows loaded into the serving database (0 when it is off)
 * @param servingMethod copy or insert
 * @param servingMillis time of the serving load, staging to swap
 * @param servingRowsPerSecond servedRows per second of that time
 * @param served the served tables with their rows, e.g. "crm.customer_scores 5000, …"
 * @param exportPath the export's file set, if any
 */
public record PublishResult(
    LocalDate asOfDate,
    Optional<LocalDate> churnAsOfDate,
    Optional<LocalDate> clvObservationEnd,
    String missingInputs,
    long customers,
    long mergeInserted,
    long mergeUpdated,
    long mergeFlagged,
    long mergeUnchanged,
    long customerScoresVersion,
    Optional<LocalDate> previousAsOfDate,
    long migrations,
    long retentionTargets,
    long winbackTargets,
    long crossSellTargets,
    long servedRows,
    String servingMethod,
    long servingMillis,
    double servingRowsPerSecond,
    String served,
    String exportPath)
    implements JobResult {

  /** This result with the merge counts Delta recorded. */
  PublishResult withMerge(long inserted, long updated, long flagged, long unchanged, long version) {
    return new PublishResult(
        asOfDate,
        churnAsOfDate,
        clvObservationEnd,
        missingInputs,
        customers,
        inserted,
        updated,
        flagged,
        unchanged,
        version,
        previousAsOfDate,
        migrations,
        retentionTargets,
        winbackTargets,
        crossSellTargets,
        servedRows,
        servingMethod,
        servingMillis,
        servingRowsPerSecond,
        served,
        exportPath);
  }

  /** This result with what the serving load did. */
  PublishResult withServing(long rows, String method, long millis, String tables) {
    return new PublishResult(
        asOfDate,
        churnAsOfDate,
        clvObservationEnd,
        missingInputs,
        customers,
        mergeInserted,
        mergeUpdated,
        mergeFlagged,
        mergeUnchanged,
        customerScoresVersion,
        previousAsOfDate,
        migrations,
        retentionTargets,
        winbackTargets,
        crossSellTargets,
        rows,
        method,
        millis,
        millis == 0 ? 0 : rows * 1000.0 / millis,
        tables,
        exportPath);
  }

  /** This result with the export's path. */
  PublishResult withExport(String path) {
    return new PublishResult(
        asOfDate,
        churnAsOfDate,
        clvObservationEnd,
        missingInputs,
        customers,
        mergeInserted,
        mergeUpdated,
        mergeFlagged,
        mergeUnchanged,
        customerScoresVersion,
        previousAsOfDate,
        migrations,
        retentionTargets,
        winbackTargets,
        crossSellTargets,
        servedRows,
        servingMethod,
        servingMillis,
        servingRowsPerSecond,
        served,
        path);
  }

  @Override
  public long inputRows() {
    return customers;
  }

  @Override
  public long outputRows() {
    return customers;
  }
}
