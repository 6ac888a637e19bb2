-- reference/stores: one row per store (contract.reference.Store).
CREATE EXTERNAL TABLE IF NOT EXISTS stores (
  store_id string,
  name string,
  channel string,
  city string,
  state string,
  region string,
  currency string,
  opened_on date
)
STORED AS PARQUET
LOCATION '{{lake}}/reference/stores'
