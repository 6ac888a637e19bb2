-- Gold mart daily_sales_by_store of the published run (contract.gold.mart_schema):
-- sales_wide grouped by sale_date and its dimensions, with every METRIC_DEFINITIONS metric.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_sales_by_store (
  sale_date date,
  store_id string,
  net_revenue decimal(18,2),
  gross_revenue decimal(18,2),
  discount decimal(18,2),
  units bigint,
  orders bigint,
  returns bigint,
  cost decimal(18,2),
  margin decimal(18,2),
  costed_net_revenue decimal(18,2)
)
STORED AS PARQUET
LOCATION '{{daily_sales_by_store_location}}'
