-- Gold mart daily_sales_by_promotion of the published run (contract.gold.mart_schema):
-- sales_wide grouped by sale_date, promotion and coupon (both NULL for lines without), with every
-- METRIC_DEFINITIONS metric.
CREATE EXTERNAL TABLE IF NOT EXISTS daily_sales_by_promotion (
  sale_date date,
  promotion_id string,
  coupon_code string,
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
LOCATION '{{daily_sales_by_promotion_location}}'
