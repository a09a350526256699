-- crmlake notebook 02: who the customers are — RFM classes, pyramid tiers, clusters.
-- Run end to end:  bin/crmlake sql --file notebooks/02_customer_segments.sql
-- Needs: gold.customer_segments and gold.segment_profiles (bin/crmlake demo, or bin/crmlake segments).

-- The as-of dates segmented so far, with their customers.
SELECT as_of_date, count(*) AS customers, count(DISTINCT model_version) AS cluster_models
FROM gold.customer_segments
GROUP BY as_of_date
ORDER BY as_of_date DESC;

-- The 8 RFM value classes at the latest date: size, revenue share and typical figures.
SELECT segment AS value_class, customers,
       round(100 * customer_share, 1) AS customers_pct,
       round(100 * revenue_share, 1)  AS revenue_pct,
       round(median_recency_days)     AS median_recency_days,
       median_frequency, round(median_monetary, 2) AS median_monetary
FROM gold.segment_profiles
WHERE dimension = 'value_class'
  AND as_of_date = (SELECT max(as_of_date) FROM gold.segment_profiles)
ORDER BY revenue_share DESC;

-- The customer pyramid: how much revenue each tier holds.
SELECT segment AS tier, customers,
       round(100 * customer_share, 1) AS customers_pct,
       round(100 * revenue_share, 1)  AS revenue_pct,
       round(mean_monetary, 2)        AS mean_monetary
FROM gold.segment_profiles
WHERE dimension = 'pyramid_tier'
  AND as_of_date = (SELECT max(as_of_date) FROM gold.segment_profiles)
ORDER BY revenue_share DESC;

-- English RFM segments against the value classes: how the two schemes overlap.
SELECT rfm_segment, value_class, count(*) AS customers
FROM gold.customer_segments
WHERE as_of_date = (SELECT max(as_of_date) FROM gold.customer_segments)
GROUP BY rfm_segment, value_class
ORDER BY rfm_segment, customers DESC;

-- KMeans clusters and the silhouette of every K tried for the latest model.
SELECT segment AS cluster, customers, round(100 * revenue_share, 1) AS revenue_pct,
       round(mean_recency_days) AS mean_recency_days, round(mean_frequency, 1) AS mean_frequency,
       round(mean_monetary, 2) AS mean_monetary
FROM gold.segment_profiles
WHERE dimension = 'cluster'
  AND as_of_date = (SELECT max(as_of_date) FROM gold.segment_profiles)
ORDER BY customers DESC;

SELECT k, max(round(silhouette, 4)) AS best_silhouette, max(chosen) AS chosen
FROM gold.cluster_selection
WHERE model_version = (SELECT max(model_version) FROM gold.cluster_selection)
GROUP BY k
ORDER BY k;

-- Champions to thank first: the most valuable recent, frequent customers.
SELECT customer_id, rfm_cell, recency_days, frequency, round(monetary, 2) AS monetary, pyramid_tier
FROM gold.customer_segments
WHERE as_of_date = (SELECT max(as_of_date) FROM gold.customer_segments)
  AND rfm_segment = 'Champions'
ORDER BY monetary DESC
LIMIT 10;
