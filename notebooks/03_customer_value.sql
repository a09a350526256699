-- crmlake notebook 03: customer lifetime value — model fit, holdout check, who is worth what.
-- Run end to end:  bin/crmlake sql --file notebooks/03_customer_value.sql
-- Needs: gold.clv, gold.clv_models, gold.clv_validation (bin/crmlake demo, or bin/crmlake clv).

-- Every fit of the latest run: parameters (names as in the papers), standard errors, fit.
SELECT model, fit, period_end, customers, params, std_errors,
       round(log_likelihood, 2) AS log_likelihood, iterations, evaluations, fit_ms
FROM gold.clv_models
WHERE model_version = (SELECT max(model_version) FROM gold.clv_models)
ORDER BY model, fit;

-- Holdout check of the calibration fit: predicted vs actual repeat purchases per customer,
-- by number of repeat purchases in the calibration period.
SELECT frequency_group, customers,
       round(actual_mean, 3) AS actual_mean, round(predicted_mean, 3) AS predicted_mean,
       round(mae, 3) AS mean_abs_error
FROM gold.clv_validation
WHERE model_version = (SELECT max(model_version) FROM gold.clv_validation)
ORDER BY CASE WHEN frequency_group = 'all' THEN 99 ELSE int(replace(frequency_group, '+', '')) END;

-- Expected value of the customer base over the horizon.
SELECT observation_end, count(*) AS customers,
       round(sum(expected_purchases), 1) AS expected_purchases,
       round(sum(clv), 2) AS total_clv,
       round(avg(p_alive), 4) AS mean_p_alive
FROM gold.clv
GROUP BY observation_end
ORDER BY observation_end DESC;

-- CLV deciles: how concentrated future value is.
SELECT decile, count(*) AS customers, round(sum(clv), 2) AS clv, round(avg(p_alive), 3) AS p_alive
FROM (SELECT clv, p_alive, ntile(10) OVER (ORDER BY clv DESC) AS decile
      FROM gold.clv WHERE observation_end = (SELECT max(observation_end) FROM gold.clv))
GROUP BY decile
ORDER BY decile;

-- The most valuable customers who may be slipping away (P(alive) below one half).
SELECT customer_id, round(clv, 2) AS clv, round(p_alive, 3) AS p_alive, frequency,
       last_purchase_date
FROM gold.clv
WHERE observation_end = (SELECT max(observation_end) FROM gold.clv) AND p_alive < 0.5
ORDER BY clv DESC
LIMIT 10;
