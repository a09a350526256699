package io.crmlake.common.lake;

/**
 * A table of the lake: its layer (bronze, silver, gold, ops) and name, e.g. silver.transactions.
 */
public record TableId(String layer, String name) {
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
