-- reference/customers/effective: the customers as a type-2 slowly changing dimension
-- (contract.reference.Customer, then the validity columns): one row per customer and interval.
CREATE EXTERNAL TABLE IF NOT EXISTS customers (
  customer_id string,
  segment string,
  city string,
  state string,
  first_purchase_on date,
  version int,
  valid_from timestamp,
  valid_to timestamp,
  is_current boolean
)
STORED AS PARQUET
LOCATION '{{lake}}/reference/customers/effective'
