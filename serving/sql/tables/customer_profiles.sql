-- Gold customer_profiles of the published run (contract.customers.CUSTOMER_PROFILES_SCHEMA): one
-- row per customer with a purchase before T, with RFM scores and segment (docs/serving.md,
-- "Customer 360").
CREATE EXTERNAL TABLE IF NOT EXISTS customer_profiles (
  customer_id string,
  customer_segment string,
  customer_city string,
  customer_state string,
  first_purchase_at timestamp,
  last_purchase_at timestamp,
  first_purchase_date date,
  last_purchase_date date,
  tenure_days int,
  recency_days int,
  orders bigint,
  returns bigint,
  units bigint,
  net_revenue decimal(18,2),
  average_ticket decimal(18,2),
  preferred_channel string,
  preferred_category string,
  channel_orders map<string,bigint>,
  category_net_revenue map<string,decimal(18,2)>,
  recency_score int,
  frequency_score int,
  monetary_score int,
  rfm_segment string,
  as_of_date date
)
STORED AS PARQUET
LOCATION '{{customer_profiles_location}}'
