package io.crmlake.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;

import io.crmlake.baskets.BasketsTables;
import io.crmlake.report.Report.Block;
import io.crmlake.report.Report.Grid;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Market baskets: the non-redundant association rules as a support × confidence scatter coloured by
 * lift (the 2,000 best supported), a grouped matrix of the best lift between the most supported
 * antecedents and consequents, and a table of the 50 rules with the highest lift. Reads {@code
 * gold.association_rules}.
 */
final class BasketsSection implements ReportSection {
  /** Rows and columns of the grouped matrix: the antecedents and consequents it shows. */
  static final int MATRIX_ITEMS = 15;

  @Override
  public String id() {
    return "baskets";
  }

  @Override
  public String title() {
    return "Market baskets";
  }

  @Override
  public String shows() {
    return "Association rules mined with FP-Growth: the strongest rules, their support, confidence"
        + " and lift, and which items lead to which.";
  }

  @Override
  public List<Block> blocks(ReportInputs in) {
    Dataset<Row> rules =
        in.read(BasketsTables.ASSOCIATION_RULES)
            .where(not(col("is_redundant")))
            .withColumn("if", concat_ws(", ", col("antecedent_names")));
    Grid top = topRules(rules);
    return List.of(scatter(rules), matrix(rules), top);
  }

  private static Grid topRules(Dataset<Row> rules) {
    return Blocks.fill(
        Grid.of(
                "rules",
                List.of("if bought", "then", "support", "confidence", "lift", "conviction"))
            .asSortable(),
        rules
            .orderBy(desc("lift"), desc("support"))
            .select("if", "consequent_name", "support", "confidence", "lift", "conviction")
            .limit(50)
            .collectAsList());
  }

  private static Block scatter(Dataset<Row> rules) {
    Grid scatter =
        Blocks.fill(
            Grid.of("rules-scatter", List.of("rule", "support", "confidence", "lift")),
            rules
                .orderBy(desc("support"))
                .select(
                    concat_ws(" → ", col("if"), col("consequent_name")),
                    col("support"),
                    col("confidence"),
                    col("lift"))
                .limit(2000)
                .collectAsList());
    return Charts.scatter(
        "rules-scatter",
        "Rules: support × confidence, coloured by lift",
        "support",
        "confidence",
        "lift",
        scatter);
  }

  /**
   * A grouped matrix as arulesViz draws it: the antecedents and consequents of the most supported
   * rules, each cell the best lift from that antecedent to that consequent.
   */
  private static Block matrix(Dataset<Row> rules) {
    Dataset<Row> strongest = rules.orderBy(desc("support")).limit(400);
    List<Row> cells =
        Blocks.collect(
            strongest
                .join(
                    strongest
                        .groupBy("if")
                        .agg(sum("support").as("s"))
                        .orderBy(desc("s"))
                        .limit(MATRIX_ITEMS)
                        .select("if"),
                    "if")
                .join(
                    strongest
                        .groupBy("consequent_name")
                        .agg(sum("support").as("s2"))
                        .orderBy(desc("s2"))
                        .limit(MATRIX_ITEMS)
                        .select("consequent_name"),
                    "consequent_name")
                .groupBy("consequent_name", "if")
                .agg(max("lift").as("lift"))
                .orderBy("consequent_name", "if"));
    return Charts.heatmap(
        "rules-matrix",
        "Grouped matrix: best lift from items to items",
        "then (consequent)",
        "if bought (antecedent)",
        "lift",
        Blocks.fill(Grid.of("rules-matrix", List.of("then", "if bought", "lift")), cells),
        null,
        null);
  }
}
