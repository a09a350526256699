package io.crmlake.common.run;

/**
 * The result of a customer-level job, which reads and writes one row per customer: its input and
 * output counts are its customers.
 */
public interface PerCustomerResult extends JobResult {
  /** Customers the run described. */
  long customers();

  @Override
  default long inputRows() {
    return customers();
  }

  @Override
  default long outputRows() {
    return customers();
  }
}
