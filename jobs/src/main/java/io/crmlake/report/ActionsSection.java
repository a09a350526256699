package io.crmlake.report;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import io.crmlake.common.lake.Table;
import io.crmlake.publish.PublishTables;
import io.crmlake.report.Report.Block;
import io.crmlake.report.Report.Grid;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Action lists: the customers on each list publish hands to the CRM (retention, win-back,
 * cross-sell), the total CLV of those customers, and the expected value lost on the retention list.
 * Reads the latest as-of date of {@code gold.customer_scores}, {@code gold.retention_targets},
 * {@code gold.winback_targets} and {@code gold.cross_sell_targets}.
 */
final class ActionsSection implements ReportSection {
  /** The lists, each by its name in the charts. */
  private static final List<Map.Entry<String, Table>> LISTS =
      List.of(
          Map.entry("retention", PublishTables.RETENTION_TARGETS),
          Map.entry("win-back", PublishTables.WINBACK_TARGETS),
          Map.entry("cross-sell", PublishTables.CROSS_SELL_TARGETS));

  @Override
  public String id() {
    return "actions";
  }

  @Override
  public String title() {
    return "Action lists";
  }

  @Override
  public String shows() {
    return "The action lists publish hands to the CRM: how many customers, and the value at stake.";
  }

  @Override
  public List<Block> blocks(ReportInputs in) {
    Dataset<Row> scores =
        in.latest(PublishTables.CUSTOMER_SCORES, "as_of_date").select("customer_id", "clv");
    Grid sizes = Grid.of("action-sizes", List.of("list", "customers"));
    Grid value = Grid.of("action-value", List.of("list", "total CLV of the customers"));
    for (Map.Entry<String, Table> l : LISTS) {
      Row r =
          in.latest(l.getValue(), "as_of_date")
              .select("customer_id")
              .join(scores, "customer_id")
              .agg(count(lit(1)), coalesce(sum("clv"), lit(0.0)))
              .first();
      sizes.add(l.getKey(), r.getLong(0));
      value.add(l.getKey(), r.getDouble(1));
    }
    Grid lost = Grid.of("action-lost", List.of("list", "expected value lost (churn × CLV)"));
    lost.add(
        "retention",
        in.latest(PublishTables.RETENTION_TARGETS, "as_of_date")
            .agg(coalesce(sum("expected_value_lost"), lit(0.0)))
            .first()
            .getDouble(0));
    return List.of(
        Charts.bars("action-sizes", "Customers per action list", "list", "customers", sizes, false),
        Charts.bars(
            "action-value",
            "Value at stake: total CLV of the listed customers",
            "list",
            "CLV",
            value,
            false),
        lost);
  }
}
