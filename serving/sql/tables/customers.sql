-- reference/customers: one row per customer (contract.reference.Customer).
CREATE EXTERNAL TABLE IF NOT EXISTS customers (
  customer_id string,
  segment string,
  city string,
  state string,
  first_purchase_on date
)
STORED AS PARQUET
LOCATION '{{lake}}/reference/customers'
