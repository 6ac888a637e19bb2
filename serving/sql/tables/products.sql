-- reference/products: one row per sku (contract.reference.Product).
CREATE EXTERNAL TABLE IF NOT EXISTS products (
  sku string,
  name string,
  category string,
  subcategory string,
  brand string,
  unit_cost decimal(18,2),
  list_price decimal(18,2)
)
STORED AS PARQUET
LOCATION '{{lake}}/reference/products'
