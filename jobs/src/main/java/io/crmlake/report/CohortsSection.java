package io.crmlake.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.desc;

import io.crmlake.report.Report.Block;
import io.crmlake.report.Report.Grid;
import io.crmlake.segments.SegmentsTables;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Cohort retention: heatmaps of the share of each monthly cohort buying, and of its revenue per
 * customer, by months since the first purchase, and the customers per cohort. Shows the last {@link
 * #SHOWN} cohorts and months, so the heatmaps stay readable. Reads the latest as-of date of {@code
 * gold.cohort_retention}.
 */
final class CohortsSection implements ReportSection {
  static final int SHOWN = 24;

  @Override
  public String id() {
    return "cohorts";
  }

  @Override
  public String title() {
    return "Cohort retention";
  }

  @Override
  public String shows() {
    return "Customers by month of first purchase: the share who buy again in each later month, and"
        + " the cohort's revenue per customer.";
  }

  @Override
  public List<Block> blocks(ReportInputs in) {
    Grid retention = Grid.of("cohort-retention", List.of("months since", "cohort", "retention"));
    Grid revenue =
        Grid.of("cohort-revenue", List.of("months since", "cohort", "revenue per customer"));
    Grid sizes = Grid.of("cohort-sizes", List.of("cohort", "customers"));
    int maxSince = 0;
    for (Row r : cells(in.latest(SegmentsTables.COHORT_RETENTION, "as_of_date"))) {
      String cohort = r.getDate(0).toString().substring(0, 7);
      retention.add(r.getInt(1), cohort, r.getDouble(2));
      revenue.add(r.getInt(1), cohort, r.getDouble(3));
      if (r.getInt(1) == 0) {
        sizes.add(cohort, r.getLong(4));
      }
      maxSince = Math.max(maxSince, r.getInt(1));
    }
    List<String> months = new ArrayList<>();
    for (int m = 0; m <= maxSince; m++) {
      months.add(String.valueOf(m));
    }
    return List.of(
        Charts.heatmap(
            "cohort-retention",
            "Share of each cohort buying, by months since the first purchase",
            "months since first purchase",
            "cohort (month of first purchase)",
            "share buying",
            retention,
            months,
            null),
        Charts.heatmap(
            "cohort-revenue",
            "Revenue per cohort customer, by months since the first purchase",
            "months since first purchase",
            "cohort",
            "revenue per customer",
            revenue,
            months,
            null),
        Charts.bars("cohort-sizes", "Customers per cohort", "cohort", "customers", sizes, false));
  }

  /**
   * The cells of the last cohorts and months: cohort month, months since, retention, revenue per
   * customer, cohort customers.
   */
  private static List<Row> cells(Dataset<Row> c) {
    return Blocks.collect(
        c.where(col("months_since").leq(SHOWN))
            .join(
                c.select("cohort_month").distinct().orderBy(desc("cohort_month")).limit(SHOWN),
                "cohort_month")
            .orderBy("cohort_month", "months_since")
            .select(
                "cohort_month",
                "months_since",
                "retention",
                "revenue_per_customer",
                "cohort_customers"));
  }
}
