package io.crmlake.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * One row per customer and day with order lines: the compact aggregate of silver from which the
 * customer features of any as-of date are computed ({@link CustomerFeatures#fromDays}, the BG/NBD
 * summary, churn's features at every cutoff, lifecycle stages) without going back to the lines.
 *
 * <p>Distinct counts as of any date become plain sums: an order is counted on the day of its first
 * sale line ({@code new_orders}), a category on the day the customer first bought it ({@code
 * new_categories}). So the orders before a date T are the sum of {@code new_orders} over the days
 * before T, exactly the distinct orders with a sale before T, and likewise for categories.
 *
 * <p>Columns: {@code customer_id, order_date, sale_lines}, {@code sales} (sum of the sale lines'
 * amounts; decimal), {@code net} (sum of all amounts, returns negative; decimal), {@code
 * new_orders, new_categories}. Lines without a customer are left out.
 */
public final class CustomerDays {
  private CustomerDays() {}

  private static final Column SALE = functions.not(col("is_return"));

  /** The columns of an order line that the customer days are computed from. */
  public static final String[] LINE_COLUMNS = {
    "customer_id", "order_id", "order_date", "amount", "category", "is_return"
  };

  /** The lines of {@code transactions} with a customer, in the {@link #LINE_COLUMNS}. */
  public static Dataset<Row> lines(Dataset<Row> transactions) {
    return transactions
        .where(col("customer_id").isNotNull())
        .select(LINE_COLUMNS[0], java.util.Arrays.copyOfRange(LINE_COLUMNS, 1, 6));
  }

  /**
   * The customer days of every customer with a line in {@code fresh}, recomputed from all of that
   * customer's lines, {@code stored} (may be null: none) and {@code fresh}: what a batch changes. A
   * late line for an old day, a return of an old order, or a first purchase of a category can
   * change any of the customer's days, and only that customer's.
   *
   * <p>A line of {@code fresh} may already be stored (a batch resumed after a run was killed
   * between storing it and logging its file): each line counts once, by {@code line_id}.
   *
   * @param stored the lines already stored ({@code line_id} and the {@link #LINE_COLUMNS}), or null
   * @param fresh the batch's lines ({@code line_id} and the {@link #LINE_COLUMNS})
   */
  public static Dataset<Row> ofTouched(Dataset<Row> stored, Dataset<Row> fresh) {
    Dataset<Row> added = lines(fresh);
    if (stored == null) {
      return of(added);
    }
    Dataset<Row> touched = added.select("customer_id").distinct();
    return of(
        lines(notIn(stored.join(touched, "customer_id", "left_semi"), fresh)).unionByName(added));
  }

  /**
   * Every line of {@code stored} and {@code fresh} once: the stored lines whose {@code line_id} is
   * not in {@code fresh}, then {@code fresh}; either may be null.
   */
  public static Dataset<Row> union(Dataset<Row> stored, Dataset<Row> fresh) {
    if (stored == null || fresh == null) {
      return stored == null ? fresh : stored;
    }
    return notIn(stored, fresh).unionByName(fresh);
  }

  private static Dataset<Row> notIn(Dataset<Row> stored, Dataset<Row> fresh) {
    return stored.join(fresh.select("line_id"), "line_id", "left_anti");
  }

  /**
   * The customer days of order lines with {@code customer_id, order_id, order_date, amount,
   * category, is_return}.
   */
  public static Dataset<Row> of(Dataset<Row> transactions) {
    Dataset<Row> lines = transactions.where(col("customer_id").isNotNull());
    Dataset<Row> orders = firsts(lines, "order_id").withColumnRenamed("firsts", "new_orders");
    Dataset<Row> categories =
        firsts(lines, "category").withColumnRenamed("firsts", "new_categories");
    return sums(lines)
        .join(orders, new String[] {"customer_id", "order_date"}, "left")
        .join(categories, new String[] {"customer_id", "order_date"}, "left")
        .na()
        .fill(0L, new String[] {"new_orders", "new_categories"});
  }

  /**
   * The per-day sums of {@link #of} without the first-occurrence counts ({@code customer_id,
   * order_date, sale_lines, sales, net}): enough for the BG/NBD summary.
   */
  public static Dataset<Row> sums(Dataset<Row> transactions) {
    return transactions
        .where(col("customer_id").isNotNull())
        .groupBy("customer_id", "order_date")
        .agg(
            count(when(SALE, lit(1))).as("sale_lines"),
            sum(when(SALE, col("amount")).otherwise(lit(0))).as("sales"),
            sum(col("amount")).as("net"));
  }

  /** Per customer and day, how many distinct values of {@code key} had their first sale then. */
  private static Dataset<Row> firsts(Dataset<Row> lines, String key) {
    return lines
        .where(SALE.and(col(key).isNotNull()))
        .groupBy("customer_id", key)
        .agg(min("order_date").as("order_date"))
        .groupBy("customer_id", "order_date")
        .agg(count(lit(1)).as("firsts"));
  }

  /** The days before {@code asOf}, as {@link CustomerFeatures#before} filters lines. */
  public static Dataset<Row> before(Dataset<Row> days, java.time.LocalDate asOf) {
    return days.where(col("order_date").lt(lit(java.sql.Date.valueOf(asOf))));
  }

  /** Days with at least one sale. */
  public static Column purchase() {
    return col("sale_lines").gt(0);
  }
}
