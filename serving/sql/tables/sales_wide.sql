-- Gold sales_wide of the published state (contract.gold.SALES_WIDE_SCHEMA). The location is the
-- published run's manifest folder: one `sale_date=D/manifest` per day, listing the Parquet files
-- of that day, which earlier runs may have written (symlink input format, ADR 0018); switching
-- runs rewrites the location template and starts the projected days at gold's first day, so a
-- query that does not narrow sale_date lists only days gold can hold.
CREATE EXTERNAL TABLE IF NOT EXISTS sales_wide (
  event_id string,
  line_number int,
  event_type string,
  occurred_at timestamp,
  ingested_at timestamp,
  channel string,
  store_id string,
  order_id string,
  customer_id string,
  payment_method string,
  currency string,
  sku string,
  quantity int,
  net_units int,
  unit_price decimal(18,2),
  gross_amount decimal(18,2),
  discount_amount decimal(18,2),
  net_amount decimal(18,2),
  cost_amount decimal(18,2),
  margin_amount decimal(18,2),
  source string,
  terminal_id string,
  salesperson_id string,
  promotion_id string,
  coupon_code string,
  attributes map<string,string>,
  product_name string,
  category string,
  subcategory string,
  brand string,
  store_name string,
  store_city string,
  store_state string,
  store_region string,
  customer_segment string,
  customer_city string,
  customer_state string,
  sale_year int,
  sale_month int,
  sale_iso_week int,
  sale_weekday int,
  sale_hour int,
  content_digest bigint
)
PARTITIONED BY (sale_date date)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '{{sales_wide_location}}'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.sale_date.type' = 'date',
  'projection.sale_date.format' = 'yyyy-MM-dd',
  'projection.sale_date.range' = '{{gold_first_day}},NOW+1DAYS',
  'projection.sale_date.interval' = '1',
  'projection.sale_date.interval.unit' = 'DAYS',
  'storage.location.template' = '{{sales_wide_location}}/sale_date=${sale_date}'
)
