-- crmlake notebook 01: a first look at the transactions.
-- Run end to end:  bin/crmlake sql --file notebooks/01_transactions_overview.sql
-- Needs: silver.transactions (bin/crmlake demo, or bin/crmlake ingest).

-- Volume per source: lines, orders, customers, and lines without a customer.
SELECT source,
       count(*)                                     AS lines,
       count(DISTINCT order_id)                     AS orders,
       count(DISTINCT customer_id)                  AS customers,
       sum(CASE WHEN customer_id IS NULL THEN 1 ELSE 0 END) AS lines_without_customer,
       min(order_date)                              AS first_day,
       max(order_date)                              AS last_day
FROM silver.transactions
GROUP BY source
ORDER BY source;

-- Monthly revenue, net of returns, and the share of returned lines.
SELECT date_trunc('MONTH', order_date)               AS month,
       count(DISTINCT order_id)                      AS orders,
       round(sum(amount), 2)                         AS net_revenue,
       round(avg(CASE WHEN is_return THEN 1.0 ELSE 0.0 END), 4) AS return_line_share
FROM silver.transactions
WHERE order_date IS NOT NULL
GROUP BY 1
ORDER BY 1;

-- Top categories by net revenue (sources with categories only).
SELECT category, count(*) AS lines, round(sum(amount), 2) AS net_revenue
FROM silver.transactions
WHERE category IS NOT NULL
GROUP BY category
ORDER BY net_revenue DESC
LIMIT 10;

-- Data quality: why records were quarantined, per source.
SELECT source, reason_code, count(*) AS records, first(reason) AS example
FROM silver.transactions_rejected
GROUP BY source, reason_code
ORDER BY source, records DESC;

-- The last ingest runs and their row conservation.
SELECT run_id, status, input_rows, output_rows, skipped_rows AS duplicates,
       quarantined_rows AS rejected,
       input_rows = output_rows + skipped_rows + quarantined_rows AS conserved
FROM ops.job_runs
WHERE job = 'ingest'
ORDER BY started_at DESC
LIMIT 5;
