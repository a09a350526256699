package io.crmlake.ingest;

import io.crmlake.common.lake.Lake;
import io.crmlake.features.CustomerDays;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an ingest run writes to {@code silver.customer_days}: the days of the customers its batch
 * touched, recomputed from all their lines ({@link CustomerDays#ofTouched}) and upserted; every
 * customer's days when the table does not exist yet (a new lake, or one ingested before the table
 * was declared: its next ingest builds it, with or without new files) or when {@code
 * ingest.rebuild-customer-days} asks for it (a change of definitions; {@code pipeline --full}). A
 * rebuild upserts too, and deletes in the same MERGE the days no line supports any more (left by a
 * run killed between this commit and silver's whose files were then taken away): it rewrites only
 * the rows that differ from a table built from scratch.
 *
 * <p>The days are committed just before silver ({@link IngestTables#ALL}): they are computed from
 * silver and the batch's new lines, which the silver commit then stores. A run killed between the
 * two commits leaves the days one batch ahead of silver; its re-run stores the same batch and
 * recomputes the same days (the upsert changes no row), ending as a run that never failed. A run
 * killed after the silver commit, before its file log, leaves files whose re-run reads them again
 * as "resumed": their lines are in the batch and already in silver, and are counted once (by {@code
 * line_id}), so the re-run recomputes the same days.
 */
final class CustomerDaysUpdate {
  private static final Logger LOG = LoggerFactory.getLogger(CustomerDaysUpdate.class);

  private CustomerDaysUpdate() {}

  /** The rows to upsert; {@code whole}: they are every customer's days. */
  record Days(Dataset<Row> rows, boolean whole) {}

  /**
   * The rows to upsert, if any.
   *
   * @param fresh the batch's new silver rows, or null without a batch
   * @param stored how many rows the batch stores
   * @param rebuild recompute every customer's days
   */
  static Optional<Days> rows(Lake lake, Dataset<Row> fresh, long stored, boolean rebuild) {
    Dataset<Row> silver =
        lake.exists(IngestTables.TRANSACTIONS) ? lake.read(IngestTables.TRANSACTIONS) : null;
    if (rebuild || !lake.exists(IngestTables.CUSTOMER_DAYS)) {
      Dataset<Row> all = CustomerDays.union(silver, fresh);
      if (all == null) {
        return Optional.empty();
      }
      LOG.info(
          "customer days: {} {}; computed from every line",
          IngestTables.CUSTOMER_DAYS,
          rebuild ? "rebuilt (ingest.rebuild-customer-days)" : "does not exist yet");
      return Optional.of(new Days(CustomerDays.of(CustomerDays.lines(all)), true));
    }
    if (fresh == null || stored == 0) {
      return Optional.empty();
    }
    long touched = CustomerDays.lines(fresh).select("customer_id").distinct().count();
    LOG.info("customer days: recomputed for the {} customers with new lines", touched);
    return Optional.of(new Days(CustomerDays.ofTouched(silver, fresh), false));
  }
}
