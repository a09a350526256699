package io.crmlake.ingest;

/**
 * Why a source record was quarantined in {@code silver.transactions_rejected}. The code is stable
 * (for queries and alerts); the row's {@code reason} column adds the column and the bad value.
 */
public enum RejectReason {
  /** The line has bytes that are not valid in the source's encoding (default UTF-8). */
  ENCODING,
  /** The record holds control characters (NUL, binary data): not text. */
  BINARY_DATA,
  /**
   * The line could not be split into the expected fields (field count, an unterminated quote, JSON
   * syntax, a nested JSON value in a mapped column).
   */
  MALFORMED_RECORD,
  /** A field is longer than {@code ingest.max-field-length} characters. */
  FIELD_TOO_LONG,
  /** A field the source declares is empty (order id, product, timestamp, quantity, price). */
  MISSING_FIELD,
  /** The timestamp matches none of the source's formats, or is not a real date. */
  BAD_TIMESTAMP,
  /**
   * The timestamp is outside the plausible window: before {@code ingest.earliest-date} or more than
   * {@code ingest.max-days-ahead} days after the run started.
   */
  IMPLAUSIBLE_DATE,
  /** Quantity, unit price or amount is not a finite number (NaN, Infinity, 1e400, "1,5"). */
  BAD_NUMBER,
  /** A negative unit price, or a negative amount on a positive quantity. */
  NEGATIVE_PRICE,
  /** A quantity of zero: the line sells nothing. */
  ZERO_QUANTITY
}
