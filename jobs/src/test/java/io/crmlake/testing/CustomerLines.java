package io.crmlake.testing;

import java.math.BigDecimal;
import java.time.LocalDate;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Hand-made order lines with the columns customer features are built from. */
public final class CustomerLines {
  private CustomerLines() {}

  public static final StructType SCHEMA =
      new StructType()
          .add("customer_id", DataTypes.StringType)
          .add("order_id", DataTypes.StringType)
          .add("order_date", DataTypes.DateType)
          .add("amount", DataTypes.createDecimalType(18, 2))
          .add("category", DataTypes.StringType)
          .add("is_return", DataTypes.BooleanType);

  /** A line; a negative amount ("-10.00") is a return. */
  public static Row line(String customer, String order, LocalDate date, String amount, String cat) {
    return RowFactory.create(
        customer,
        order,
        java.sql.Date.valueOf(date),
        new BigDecimal(amount),
        cat,
        amount.startsWith("-"));
  }
}
