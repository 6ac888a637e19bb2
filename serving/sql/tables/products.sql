-- reference/products/effective: the products as a type-2 slowly changing dimension
-- (contract.reference.Product, then the validity columns): one row per sku and version interval
-- [valid_from, valid_to); is_current marks each sku's newest row.
CREATE EXTERNAL TABLE IF NOT EXISTS products (
  sku string,
  name string,
  category string,
  subcategory string,
  brand string,
  unit_cost decimal(18,2),
  list_price decimal(18,2),
  version int,
  valid_from timestamp,
  valid_to timestamp,
  is_current boolean
)
STORED AS PARQUET
LOCATION '{{lake}}/reference/products/effective'
