package io.crmlake.publish;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;

import io.crmlake.baskets.BasketsTables;
import io.crmlake.churn.ChurnTables;
import io.crmlake.clv.ClvTables;
import io.crmlake.common.config.ConfigError;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.lake.Table;
import io.crmlake.segments.SegmentsTables;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a publish reads: the segments and features of the as-of date ({@code publish.as-of}, else
 * the latest segments), the churn scores of the latest as-of date at most it, the CLV of the latest
 * observation end before it, the recommendations and rules. With {@code publish.allow-missing} a
 * missing churn, clv or baskets table is empty here and named in {@code missing}.
 *
 * @param churnAsOf the as-of date of {@code churn}, if it has rows
 * @param clvEnd the observation end of {@code clv}, if it has rows
 * @param missing the missing tables, each with the command that writes it
 */
record PublishInputs(
    LocalDate asOf,
    Dataset<Row> segments,
    Dataset<Row> features,
    Optional<Dataset<Row>> churn,
    Optional<LocalDate> churnAsOf,
    Optional<Dataset<Row>> clv,
    Optional<LocalDate> clvEnd,
    Optional<Dataset<Row>> recommendations,
    Optional<Dataset<Row>> rules,
    List<String> missing) {
  private static final Logger LOG = LoggerFactory.getLogger(PublishInputs.class);

  /** Reads the inputs of the as-of date (the latest segments when {@code asOf} is empty). */
  static PublishInputs read(Lake lake, Optional<LocalDate> asOfSetting, boolean allowMissing) {
    Dataset<Row> allSegments = lake.read(SegmentsTables.CUSTOMER_SEGMENTS);
    LocalDate asOf =
        asOfSetting.orElseGet(
            () ->
                latest(allSegments, "as_of_date", Optional.empty())
                    .orElseThrow(
                        () ->
                            new ConfigError(
                                "gold.customer_segments is empty: run `bin/crmlake segments`"
                                    + " first")));
    Dataset<Row> segments = allSegments.where(col("as_of_date").equalTo(Date.valueOf(asOf)));
    Dataset<Row> features =
        lake.read(SegmentsTables.CUSTOMER_FEATURES)
            .where(col("as_of_date").equalTo(Date.valueOf(asOf)));
    List<String> missing = new ArrayList<>();
    Optional<Dataset<Row>> churn = input(lake, ChurnTables.CHURN_SCORES, allowMissing, missing);
    Optional<LocalDate> churnAsOf = churn.flatMap(c -> latestAtMost(c, "as_of_date", asOf));
    Optional<Dataset<Row>> clv = input(lake, ClvTables.CLV, allowMissing, missing);
    Optional<LocalDate> clvEnd =
        clv.flatMap(c -> latestAtMost(c, "observation_end", asOf.minusDays(1)));
    PublishInputs in =
        new PublishInputs(
            asOf,
            segments,
            features,
            at(churn, "as_of_date", churnAsOf),
            churnAsOf,
            at(clv, "observation_end", clvEnd),
            clvEnd,
            input(lake, BasketsTables.PRODUCT_RECOMMENDATIONS, allowMissing, missing),
            input(lake, BasketsTables.ASSOCIATION_RULES, allowMissing, missing),
            List.copyOf(missing));
    LOG.info(
        "publishing as of {}: churn scores as of {}, CLV to {}{}",
        asOf,
        churnAsOf.map(String::valueOf).orElse("(none)"),
        clvEnd.map(String::valueOf).orElse("(none)"),
        missing.isEmpty() ? "" : "; missing (columns left empty): " + missing);
    return in;
  }

  /** The missing tables as one line, for the result. */
  String missingText() {
    return String.join("; ", missing);
  }

  /** A table read, or empty when it is missing and missing inputs are allowed. */
  private static Optional<Dataset<Row>> input(
      Lake lake, Table table, boolean allowMissing, List<String> missing) {
    if (lake.exists(table) || !allowMissing) {
      return Optional.of(lake.read(table));
    }
    missing.add(table + " (run `bin/crmlake " + table.producer() + "`)");
    return Optional.empty();
  }

  /** The rows of {@code table} on {@code date} (none when the table has no date). */
  private static Optional<Dataset<Row>> at(
      Optional<Dataset<Row>> table, String column, Optional<LocalDate> date) {
    LocalDate d = date.orElse(LocalDate.MIN);
    return table.map(t -> t.where(col(column).equalTo(Date.valueOf(d))));
  }

  /** The latest date at most {@code atMost}, else the earliest after it (with a warning). */
  private static Optional<LocalDate> latestAtMost(
      Dataset<Row> data, String column, LocalDate atMost) {
    Optional<LocalDate> d = latest(data, column, Optional.of(atMost));
    if (d.isEmpty()) {
      Row r = data.agg(min(column)).first();
      d = r.isNullAt(0) ? Optional.empty() : Optional.of(r.getDate(0).toLocalDate());
      d.ifPresent(
          x ->
              LOG.warn(
                  "no {} at or before {}: using {} (after the as-of date)", column, atMost, x));
    }
    return d;
  }

  /** The latest date in {@code column}, at most {@code atMost}; empty for no rows. */
  static Optional<LocalDate> latest(Dataset<Row> data, String column, Optional<LocalDate> atMost) {
    Dataset<Row> d = atMost.map(m -> data.where(col(column).leq(Date.valueOf(m)))).orElse(data);
    Row r = d.agg(max(column)).first();
    return r.isNullAt(0) ? Optional.empty() : Optional.of(r.getDate(0).toLocalDate());
  }
}
