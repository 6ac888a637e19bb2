-- Validated legacy CSV lines (one row per sale line, header line first). OpenCSVSerde reads
-- every column as a string; the sales_realtime view types them with the same rules as bronze.
-- content_digest (ADR 0021) came later: files loaded before it lack the column, read as NULL.
CREATE EXTERNAL TABLE IF NOT EXISTS csv_uploads (
  event_id string,
  event_type string,
  occurred_at string,
  channel string,
  store_id string,
  order_id string,
  customer_id string,
  currency string,
  payment_method string,
  sku string,
  quantity string,
  unit_price string,
  discount string,
  ingested_at string,
  source string,
  content_digest string
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '"')
STORED AS TEXTFILE
LOCATION '{{lake}}/bronze/csv_uploads'
TBLPROPERTIES ('skip.header.line.count' = '1')
