package io.crmlake.churn;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.run.RunContext;
import io.crmlake.features.CustomerDays;
import io.crmlake.ingest.IngestTables;
import java.time.LocalDate;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a churn run reads: {@code silver.customer_days} ({@link CustomerDays}: one row per customer
 * and day), read once and cached for training and scoring, and its span.
 *
 * @param days the customer days, partitioned by customer
 * @param customers customers with lines
 * @param first the first day with a line
 * @param last the last day with a line
 */
record ChurnHistory(Dataset<Row> days, long customers, LocalDate first, LocalDate last) {
  private static final Logger LOG = LoggerFactory.getLogger(ChurnHistory.class);

  /** Reads silver; refuses (exit 2) a silver without customer lines. */
  static ChurnHistory read(RunContext ctx) {
    // Every cutoff's features, the BG/NBD fits, labels and lifecycle stages come from one compact
    // aggregate of silver per customer and day, maintained by ingest. Partitioned by customer, so
    // the
    // per-customer aggregations and joins of every cutoff need no further shuffle.
    Dataset<Row> days =
        ctx.persist(ctx.lake().read(IngestTables.CUSTOMER_DAYS).repartition(col("customer_id")));
    Row span =
        days.agg(min("order_date"), max("order_date"), count(lit(1)), countDistinct("customer_id"))
            .first();
    if (span.isNullAt(0)) {
      throw new ConfigError(
          "silver.customer_days is empty (no customer transactions): nothing to model");
    }
    LocalDate first = span.getDate(0).toLocalDate();
    LocalDate last = span.getDate(1).toLocalDate();
    LOG.info(
        "{} customers with lines on {} customer days, {} to {}",
        span.getLong(3),
        span.getLong(2),
        first,
        last);
    return new ChurnHistory(days, span.getLong(3), first, last);
  }
}
