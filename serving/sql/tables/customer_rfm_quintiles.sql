-- Gold customer_rfm_quintiles of the published run (contract.customers.CUSTOMER_RFM_QUINTILES_SCHEMA):
-- the four cut points of each RFM measure; a score exceeds `boundary` when the value is greater.
CREATE EXTERNAL TABLE IF NOT EXISTS customer_rfm_quintiles (
  boundary int,
  last_purchase_date date,
  orders bigint,
  net_revenue decimal(18,2),
  customers bigint,
  as_of_date date
)
STORED AS PARQUET
LOCATION '{{customer_rfm_quintiles_location}}'
