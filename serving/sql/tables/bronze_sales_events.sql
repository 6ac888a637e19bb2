-- Bronze events as the speed layer lands them: one row per accepted event, items nested.
-- Contract v1.1 added terminal_id, salesperson_id, attributes and the items' promotion_id and
-- coupon_code, and content_digest (ADR 0021) came later; files written before read them as NULL
-- (Parquet columns are matched by name).
-- Partitions are projected from the ingest hour (UTC), so no crawler or MSCK REPAIR is needed.
CREATE EXTERNAL TABLE IF NOT EXISTS bronze_sales_events (
  event_id string,
  event_type string,
  occurred_at timestamp,
  channel string,
  store_id string,
  order_id string,
  customer_id string,
  currency string,
  payment_method string,
  items array<struct<sku:string,quantity:int,unit_price:decimal(18,2),discount:decimal(18,2),promotion_id:string,coupon_code:string>>,
  total decimal(18,2),
  terminal_id string,
  salesperson_id string,
  attributes map<string,string>,
  ingested_at timestamp,
  source string,
  content_digest bigint
)
PARTITIONED BY (ingest_date string, ingest_hour string)
STORED AS PARQUET
LOCATION '{{lake}}/bronze/sales_events'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.ingest_date.type' = 'date',
  'projection.ingest_date.format' = 'yyyy-MM-dd',
  'projection.ingest_date.range' = '2020-01-01,NOW',
  'projection.ingest_date.interval' = '1',
  'projection.ingest_date.interval.unit' = 'DAYS',
  'projection.ingest_hour.type' = 'integer',
  'projection.ingest_hour.range' = '0,23',
  'projection.ingest_hour.digits' = '2',
  'storage.location.template' = '{{lake}}/bronze/sales_events/ingest_date=${ingest_date}/ingest_hour=${ingest_hour}'
)
