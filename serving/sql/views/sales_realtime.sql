-- The real-time view: every bronze event and CSV upload line ingested at or after the published
-- cutoff T, shaped exactly like gold sales_wide and filtered by the same rules as the batch:
--   * one copy per event_id: the first ingested_at wins, ties go to the smaller source, then to
--     bronze over CSV; identical copies (a redelivered batch) collapse line by line;
--   * the data-quality rules of contract/quality.py drop a line (unknown sku, unknown store,
--     currency other than the store's, line net amount above the maximum);
--   * returns count negative; calendar columns are in the reporting time zone.
-- T is a literal, re-rendered whenever a batch run is published (docs/adr: how T reaches Athena).
CREATE OR REPLACE VIEW sales_realtime AS
WITH bronze_lines AS (
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
    0 AS origin
  FROM bronze_sales_events AS e
  CROSS JOIN UNNEST(sequence(1, cardinality(e.items))) AS n (line_number)
  WHERE e.ingest_date >= '{{cutoff_date}}' AND e.ingested_at >= TIMESTAMP '{{cutoff}}'
),
typed_csv_lines AS (
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
    CAST(COALESCE(NULLIF(discount, ''), '0') AS decimal(18, 2)) AS discount
  FROM csv_uploads
),
csv_lines AS (
  SELECT
    event_id,
    CAST(
      row_number() OVER (
        PARTITION BY event_id, ingested_at, source
        ORDER BY sku, quantity, unit_price, discount
      ) AS integer
    ) AS line_number,
    event_type, occurred_at, ingested_at, channel, store_id, order_id, customer_id,
    payment_method, currency, source, sku, quantity, unit_price, discount,
    1 AS origin
  FROM typed_csv_lines
  WHERE ingested_at >= TIMESTAMP '{{cutoff}}'
),
all_lines AS (
  SELECT * FROM bronze_lines
  UNION ALL
  SELECT * FROM csv_lines
),
ranked_lines AS (
  SELECT
    l.*,
    rank() OVER (PARTITION BY event_id ORDER BY ingested_at, source, origin) AS copy_rank,
    row_number() OVER (
      PARTITION BY event_id, line_number ORDER BY ingested_at, source, origin
    ) AS line_rank
  FROM all_lines AS l
),
first_copies AS (
  SELECT
    l.*,
    CASE WHEN l.event_type = 'return' THEN -1 ELSE 1 END AS sign,
    CAST(l.quantity * l.unit_price AS decimal(18, 2)) AS line_gross,
    CAST(l.quantity * l.unit_price - l.discount AS decimal(18, 2)) AS line_net,
    l.occurred_at AT TIME ZONE '{{reporting_tz}}' AS local_occurred_at
  FROM ranked_lines AS l
  WHERE l.copy_rank = 1 AND l.line_rank = 1
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
  p.name AS product_name,
  p.category,
  p.subcategory,
  p.brand,
  s.name AS store_name,
  s.city AS store_city,
  s.state AS store_state,
  s.region AS store_region,
  c.segment AS customer_segment,
  c.city AS customer_city,
  c.state AS customer_state,
  CAST(year(l.local_occurred_at) AS integer) AS sale_year,
  CAST(month(l.local_occurred_at) AS integer) AS sale_month,
  CAST(week_of_year(l.local_occurred_at) AS integer) AS sale_iso_week,
  CAST(day_of_week(l.local_occurred_at) AS integer) AS sale_weekday,
  CAST(hour(l.local_occurred_at) AS integer) AS sale_hour
FROM first_copies AS l
JOIN products AS p ON p.sku = l.sku
JOIN stores AS s ON s.store_id = l.store_id
LEFT JOIN customers AS c ON c.customer_id = l.customer_id
WHERE l.currency = s.currency
  AND l.line_net <= DECIMAL '{{max_line_net_amount}}'
