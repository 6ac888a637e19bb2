-- Gold customer_cohorts of the published run (contract.customers.CUSTOMER_COHORTS_SCHEMA): for
-- each month of first purchase and each month since, how many of that cohort bought again.
CREATE EXTERNAL TABLE IF NOT EXISTS customer_cohorts (
  cohort_month date,
  months_since_first int,
  customers bigint,
  active_customers bigint,
  retention_rate double
)
STORED AS PARQUET
LOCATION '{{customer_cohorts_location}}'
