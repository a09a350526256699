package io.crmlake.baskets;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import io.crmlake.common.lake.Table;
import java.util.List;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;

/**
 * The tables the baskets job writes: frequent itemsets, association rules and product
 * recommendations. Each declaration gives the table's place, write mode, schema and the meaning of
 * every column; the writes, the Delta comments and {@code docs/tables.md} come from it. {@link
 * #ALL} is the order in which a run writes them.
 */
public final class BasketsTables {
  private static final DataType STRINGS = new ArrayType(StringType, true);

  /** Filled by {@link BasketMiner#mine} (its itemsets). */
  public static final Table FREQUENT_ITEMSETS =
      Table.builder("gold", "frequent_itemsets", "baskets")
          .comment(
              "Frequent itemsets of the baskets job (FP-Growth): itemsets held by at least"
                  + " baskets.min-support of the baskets. Replaced by each mining run; kept while"
                  + " its rules are reused (baskets.retrain-after-days).")
          .overwrite()
          .column("items", STRINGS, "The items (product ids or categories), sorted.")
          .column("size", IntegerType, "Number of items.")
          .column("count", LongType, "Baskets holding every item.")
          .column("support", DoubleType, "count / baskets.")
          .column(
              "model_version",
              StringType,
              "The mining run that found the itemset (its run id without the job name).")
          .build();

  /** Filled by {@link BasketMiner#rules}, named by {@link BasketsJob#withNames}. */
  public static final Table ASSOCIATION_RULES =
      Table.builder("gold", "association_rules", "baskets")
          .comment(
              "Association rules A → C (single-item consequent) with interest measures and a"
                  + " redundancy flag. Replaced by each mining run; kept while they are reused"
                  + " (baskets.retrain-after-days).")
          .overwrite()
          .column(
              "rule_id", StringType, "Stable id of the rule (hash of antecedent and consequent).")
          .column("antecedent", STRINGS, "Items of A, sorted.")
          .column("antecedent_names", STRINGS, "Names of the items of A, in the same order.")
          .column("consequent", StringType, "The item C.")
          .column("consequent_name", StringType, "Name of C.")
          .column("antecedent_size", IntegerType, "Number of items in A.")
          .column("count", LongType, "Baskets holding A and C.")
          .column("antecedent_support", DoubleType, "Share of baskets holding A.")
          .column("consequent_support", DoubleType, "Share of baskets holding C.")
          .column("support", DoubleType, "Share of baskets holding A and C.")
          .column("confidence", DoubleType, "support / antecedent_support.")
          .column("lift", DoubleType, "confidence / consequent_support.")
          .column("leverage", DoubleType, "support − antecedent_support × consequent_support.")
          .column(
              "conviction",
              DoubleType,
              "(1 − consequent_support) / (1 − confidence); Infinity when confidence is 1.")
          .column(
              "is_redundant",
              BooleanType,
              "A rule with the same consequent and a proper-subset antecedent has at least this"
                  + " confidence.")
          .column(
              "model_version",
              StringType,
              "The mining run that found the rule (its run id without the job name): the version"
                  + " of the rules, reused by later runs while younger than"
                  + " baskets.retrain-after-days.")
          .column(
              "mined_with",
              StringType,
              "The settings the rules were mined with (level, support, confidence, itemset length,"
                  + " basket cap, search budget, window): a run with other settings mines again.")
          .build();

  /** Filled by {@link BasketMiner#recommend}. */
  public static final Table PRODUCT_RECOMMENDATIONS =
      Table.builder("gold", "product_recommendations", "baskets")
          .comment(
              "Top-N next products per customer, from the rules that fire on what the customer"
                  + " bought in the last baskets.recent-days days.")
          .overwrite()
          .column("customer_id", StringType, "Customer id.")
          .column("rank", IntegerType, "1 = best.")
          .column("item", StringType, "Recommended item (not bought in the window).")
          .column("item_name", StringType, "Its name.")
          .column("score", DoubleType, "confidence × lift of the best rule that fires.")
          .column("confidence", DoubleType, "Confidence of that rule.")
          .column("lift", DoubleType, "Lift of that rule.")
          .column("rule_id", StringType, "That rule (gold.association_rules).")
          .column("because_bought", STRINGS, "The rule's antecedent: the explanation.")
          .column("as_of_date", DateType, "Last order date of the data the window ends on.")
          .column("model_version", StringType, "Version of the rules that fired.")
          .build();

  /** Every table of the job, in the order a run writes them. */
  public static final List<Table> ALL =
      List.of(FREQUENT_ITEMSETS, ASSOCIATION_RULES, PRODUCT_RECOMMENDATIONS);

  private BasketsTables() {}
}
