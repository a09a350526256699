package io.crmlake.ingest;

/**
 * Why a source record was quarantined in {@code silver.transactions_rejected}. The code is stable
 * (for queries and alerts); the row's {@code reason} column adds the column and the bad value.
 */
public enum RejectReason {
  /** The line could not be split into the expected fields (field count, JSON syntax). */
  MALFORMED_RECORD,
  /** A field the source declares is empty (order id, product, timestamp, quantity, price). */
  MISSING_FIELD,
  /** The timestamp matches none of the source's formats, or is not a real date. */
  BAD_TIMESTAMP,
  /** Quantity, unit price or amount is not a number. */
  BAD_NUMBER,
  /** A negative unit price, or a negative amount on a positive quantity. */
  NEGATIVE_PRICE,
  /** A quantity of zero: the line sells nothing. */
  ZERO_QUANTITY
}
