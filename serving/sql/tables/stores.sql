-- reference/stores/effective: the stores as a type-2 slowly changing dimension
-- (contract.reference.Store, then the validity columns): one row per store and version interval.
CREATE EXTERNAL TABLE IF NOT EXISTS stores (
  store_id string,
  name string,
  channel string,
  currency string,
  city string,
  state string,
  region string,
  opened_on date,
  time_zone string,
  version int,
  valid_from timestamp,
  valid_to timestamp,
  is_current boolean
)
STORED AS PARQUET
LOCATION '{{lake}}/reference/stores/effective'
