-- The real-time view: every bronze event and CSV upload line ingested at or after the published
-- cutoff T, shaped exactly like gold sales_wide and filtered by the same rules as the batch:
--   * one copy per event_id: the first ingested_at wins, ties go to the smaller source, then to
--     bronze over CSV (the batch's order); identical bronze copies (a redelivered batch) count
--     once. Copies are ranked per event, before exploding, so the windows see events, not lines;
--   * product, store and customer attributes (and the unit cost) are those in force at the sale
--     (the reference tables' validity intervals); an unknown sku or store keeps its line, with
--     NULL attributes, cost and margin (contract/quality.py's flag rules);
--   * the quarantine rules of contract/quality.py drop a line (currency other than its known
--     store's, line net amount above the maximum);
--   * returns count negative; sale_date and the calendar columns are in the sale's business zone
--     (contract/business_day.py): the store's time_zone as of the sale when business_day is
--     'store' and the store has one, else the reporting time zone. at_timezone() takes a zone
--     column, which AT TIME ZONE does not in Trino.
-- T is a literal, re-rendered whenever a batch run is published (docs/adr/0008); its UTC date and
-- hour prune the bronze partitions (projection on Athena, hive folders on DuckDB) to those since T.
-- Lines are exploded by joining each event to the line numbers 1..cardinality(items): UNNEST of
-- an array of rows names its columns differently in Trino and DuckDB, and this join is fast in
-- both.
CREATE OR REPLACE VIEW sales_realtime AS
WITH line_numbers AS (
  SELECT line_number FROM UNNEST(sequence(1, {{max_items}})) AS t (line_number)
),
bronze_copies AS (
  SELECT
    e.*,
    row_number() OVER (PARTITION BY e.event_id ORDER BY e.ingested_at, e.source) AS bronze_rank
  FROM bronze_sales_events AS e
  WHERE e.ingest_date >= '{{cutoff_date}}'
    AND (e.ingest_date > '{{cutoff_date}}' OR e.ingest_hour >= '{{cutoff_hour}}')
    AND e.ingested_at >= TIMESTAMP '{{cutoff}}'
),
csv_lines AS (
  SELECT
    event_id,
    event_type,
    CAST(from_iso8601_timestamp(occurred_at) AT TIME ZONE 'UTC' AS timestamp) AS occurred_at,
    CAST(from_iso8601_timestamp(ingested_at) AT TIME ZONE 'UTC' AS timestamp) AS ingested_at,
    channel,
    store_id,
    order_id,
    NULLIF(customer_id, '') AS customer_id,
    payment_method,
    currency,
    source,
    sku,
    CAST(quantity AS integer) AS quantity,
    CAST(unit_price AS decimal(18, 2)) AS unit_price,
    CAST(COALESCE(NULLIF(discount, ''), '0') AS decimal(18, 2)) AS discount,
    CAST(NULL AS varchar) AS terminal_id,
    CAST(NULL AS varchar) AS salesperson_id,
    CAST(NULL AS map(varchar, varchar)) AS attributes,
    CAST(NULL AS varchar) AS promotion_id,
    CAST(NULL AS varchar) AS coupon_code
  FROM csv_uploads
),
event_copies AS (
  SELECT event_id, ingested_at, source, 0 AS origin FROM bronze_copies WHERE bronze_rank = 1
  UNION ALL
  SELECT DISTINCT event_id, ingested_at, source, 1 AS origin
  FROM csv_lines
  WHERE ingested_at >= TIMESTAMP '{{cutoff}}'
),
first_copies AS (
  SELECT event_id, ingested_at, source, origin
  FROM (
    SELECT
      c.*,
      row_number() OVER (PARTITION BY c.event_id ORDER BY c.ingested_at, c.source, c.origin)
        AS copy_rank
    FROM event_copies AS c
  ) AS ranked
  WHERE copy_rank = 1
),
bronze_lines AS (
  SELECT
    e.event_id,
    CAST(n.line_number AS integer) AS line_number,
    e.event_type,
    e.occurred_at,
    e.ingested_at,
    e.channel,
    e.store_id,
    e.order_id,
    e.customer_id,
    e.payment_method,
    e.currency,
    e.source,
    e.items[n.line_number].sku AS sku,
    e.items[n.line_number].quantity AS quantity,
    e.items[n.line_number].unit_price AS unit_price,
    e.items[n.line_number].discount AS discount,
    e.terminal_id,
    e.salesperson_id,
    e.attributes,
    e.items[n.line_number].promotion_id AS promotion_id,
    e.items[n.line_number].coupon_code AS coupon_code
  FROM bronze_copies AS e
  JOIN first_copies AS f ON f.event_id = e.event_id AND f.origin = 0
  JOIN line_numbers AS n ON n.line_number <= cardinality(e.items)
  WHERE e.bronze_rank = 1
),
csv_first_lines AS (
  SELECT
    l.event_id,
    CAST(
      row_number() OVER (
        PARTITION BY l.event_id ORDER BY l.sku, l.quantity, l.unit_price, l.discount
      ) AS integer
    ) AS line_number,
    l.event_type, l.occurred_at, l.ingested_at, l.channel, l.store_id, l.order_id,
    l.customer_id, l.payment_method, l.currency, l.source, l.sku, l.quantity, l.unit_price,
    l.discount, l.terminal_id, l.salesperson_id, l.attributes, l.promotion_id, l.coupon_code
  FROM csv_lines AS l
  JOIN first_copies AS f
    ON f.event_id = l.event_id AND f.origin = 1 AND f.ingested_at = l.ingested_at
    AND f.source = l.source
),
first_lines AS (
  SELECT * FROM bronze_lines
  UNION ALL
  SELECT * FROM csv_first_lines
),
signed_lines AS (
  SELECT
    l.*,
    CASE WHEN l.event_type = 'return' THEN -1 ELSE 1 END AS sign,
    CAST(l.quantity * l.unit_price AS decimal(18, 2)) AS line_gross,
    CAST(l.quantity * l.unit_price - l.discount AS decimal(18, 2)) AS line_net
  FROM first_lines AS l
),
zoned_lines AS (
  SELECT
    l.*,
    at_timezone(
      l.occurred_at,
      COALESCE(CASE WHEN '{{business_day}}' = 'store' THEN s.time_zone END, '{{reporting_tz}}')
    ) AS local_occurred_at,
    s.name AS store_name,
    s.city AS store_city,
    s.state AS store_state,
    s.region AS store_region,
    s.currency AS store_currency
  FROM signed_lines AS l
  LEFT JOIN stores AS s
    ON s.store_id = l.store_id AND l.occurred_at >= s.valid_from AND l.occurred_at < s.valid_to
)
SELECT
  l.event_id,
  l.line_number,
  l.event_type,
  CAST(l.local_occurred_at AS date) AS sale_date,
  l.occurred_at,
  l.ingested_at,
  l.channel,
  l.store_id,
  l.order_id,
  l.customer_id,
  l.payment_method,
  l.currency,
  l.sku,
  l.quantity,
  CAST(l.sign * l.quantity AS integer) AS net_units,
  l.unit_price,
  CAST(l.sign * l.line_gross AS decimal(18, 2)) AS gross_amount,
  CAST(l.sign * l.discount AS decimal(18, 2)) AS discount_amount,
  CAST(l.sign * l.line_net AS decimal(18, 2)) AS net_amount,
  CAST(l.sign * l.quantity * p.unit_cost AS decimal(18, 2)) AS cost_amount,
  CAST(l.sign * (l.line_net - l.quantity * p.unit_cost) AS decimal(18, 2)) AS margin_amount,
  l.source,
  l.terminal_id,
  l.salesperson_id,
  l.promotion_id,
  l.coupon_code,
  l.attributes,
  p.name AS product_name,
  p.category,
  p.subcategory,
  p.brand,
  l.store_name,
  l.store_city,
  l.store_state,
  l.store_region,
  c.segment AS customer_segment,
  c.city AS customer_city,
  c.state AS customer_state,
  CAST(year(l.local_occurred_at) AS integer) AS sale_year,
  CAST(month(l.local_occurred_at) AS integer) AS sale_month,
  CAST(week_of_year(l.local_occurred_at) AS integer) AS sale_iso_week,
  CAST(day_of_week(l.local_occurred_at) AS integer) AS sale_weekday,
  CAST(hour(l.local_occurred_at) AS integer) AS sale_hour
FROM zoned_lines AS l
LEFT JOIN products AS p
  ON p.sku = l.sku AND l.occurred_at >= p.valid_from AND l.occurred_at < p.valid_to
LEFT JOIN customers AS c
  ON c.customer_id = l.customer_id AND l.occurred_at >= c.valid_from
  AND l.occurred_at < c.valid_to
WHERE (l.store_currency IS NULL OR l.currency = l.store_currency)
  AND l.line_net <= DECIMAL '{{max_line_net_amount}}'
