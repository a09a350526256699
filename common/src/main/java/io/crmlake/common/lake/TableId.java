package io.crmlake.common.lake;

/**
 * A table of the lake: its layer (bronze, silver, gold, ops) and name, e.g. silver.transactions.
 */
public record TableId(String layer, String name) {
  /** The lake's layers, in the order data flows through them: folders under the lake root. */
  public static final java.util.List<String> LAYERS =
      java.util.List.of("bronze", "silver", "gold", "ops");

  public static TableId of(String layer, String name) {
    return new TableId(layer, name);
  }

  /** The SQL name, {@code layer.name}. */
  public String sqlName() {
    return layer + "." + name;
  }

  @Override
  public String toString() {
    return sqlName();
  }
}
