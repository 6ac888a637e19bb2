-- The real-time view: every bronze event and CSV upload line ingested at or after the published
-- cutoff T that gold does not hold, shaped exactly like gold sales_wide and filtered by the same
-- rules as the batch:
--   * one copy per sale: per event_id the first ingested_at wins, ties go to the smaller source,
--     then to bronze over CSV (the batch's order); identical bronze copies (a redelivered batch)
--     count once. A bronze copy is ranked as a whole event, before exploding, so the windows see
--     events;
--   * a copy from another source than its id's winner, with another content_digest, is a sale of
--     its own, `<event_id>~<source>` (ADR 0021). The winner is gold's when gold holds the id on a
--     business day since {{dedup_from_date}} (ADR 0022's window), else the first copy since T;
--     copies of a sale gold holds (the id itself, or its `~<source>` sale) are dropped. Gold is
--     read once, in `earlier_sales`: each sale of the window under its id's base, so one join
--     answers both questions;
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
-- Bronze is named once in the whole statement: Trino (Athena) evaluates a CTE at every reference,
-- so each extra reference is another scan of the day's bronze, billed. Bronze events and CSV lines
-- therefore flow as one stream of copies (`copies`: a bronze row is a whole event, a CSV row one
-- line), ranked in one pass, and exploded into lines by one join: a bronze copy to the line
-- numbers 1..cardinality(items) (UNNEST of an array of rows names its columns differently in Trino
-- and DuckDB, and this join is fast in both), a CSV line to line number 1 only.
CREATE OR REPLACE VIEW sales_realtime AS
WITH line_numbers AS (
  SELECT line_number FROM UNNEST(sequence(1, {{max_items}})) AS t (line_number)
),
copies AS (
  SELECT
    e.event_id, e.event_type, e.occurred_at, e.ingested_at, e.channel, e.store_id, e.order_id,
    e.customer_id, e.payment_method, e.currency, e.source, 0 AS origin, e.items,
    NULL AS csv_sku, NULL AS csv_quantity, NULL AS csv_unit_price, NULL AS csv_discount,
    e.terminal_id, e.salesperson_id, e.attributes, e.content_digest
  FROM bronze_sales_events AS e
  WHERE e.ingest_date >= '{{cutoff_date}}'
    AND (e.ingest_date > '{{cutoff_date}}' OR e.ingest_hour >= '{{cutoff_hour}}')
    AND e.ingested_at >= TIMESTAMP '{{cutoff}}'
  UNION ALL
  SELECT
    c.event_id,
    c.event_type,
    CAST(from_iso8601_timestamp(c.occurred_at) AT TIME ZONE 'UTC' AS timestamp) AS occurred_at,
    CAST(from_iso8601_timestamp(c.ingested_at) AT TIME ZONE 'UTC' AS timestamp) AS ingested_at,
    c.channel,
    c.store_id,
    c.order_id,
    NULLIF(c.customer_id, '') AS customer_id,
    c.payment_method,
    c.currency,
    c.source,
    1 AS origin,
    NULL AS items,
    c.sku AS csv_sku,
    CAST(c.quantity AS integer) AS csv_quantity,
    CAST(c.unit_price AS decimal(18, 2)) AS csv_unit_price,
    CAST(COALESCE(NULLIF(c.discount, ''), '0') AS decimal(18, 2)) AS csv_discount,
    NULL AS terminal_id,
    NULL AS salesperson_id,
    NULL AS attributes,
    CAST(NULLIF(c.content_digest, '') AS bigint) AS content_digest
  FROM csv_uploads AS c
  WHERE CAST(from_iso8601_timestamp(c.ingested_at) AT TIME ZONE 'UTC' AS timestamp)
    >= TIMESTAMP '{{cutoff}}'
),
numbered_copies AS (
  -- copy_row numbers the rows of one copy: identical bronze copies (a redelivered batch) keep
  -- row 1 only, and of copies sent in one request with other content the smallest digest (as
  -- the batch); the lines of one CSV copy are numbered in the batch's line order.
  SELECT
    c.*,
    row_number() OVER (
      PARTITION BY c.event_id, c.ingested_at, c.source, c.origin
      ORDER BY c.content_digest, c.csv_sku, c.csv_quantity, c.csv_unit_price, c.csv_discount
    ) AS copy_row
  FROM copies AS c
),
kept_copies AS (
  SELECT * FROM numbered_copies AS c WHERE c.origin = 1 OR c.copy_row = 1
),
earlier_sales AS (
  SELECT DISTINCT
    split_part(b.event_id, '~', 1) AS base_id,
    b.event_id AS sale_id,
    b.source AS sale_source,
    b.content_digest AS sale_digest
  FROM sales_batch AS b
  WHERE b.sale_date >= DATE '{{dedup_from_date}}'
),
looked_up_copies AS (
  -- One row per copy and earlier sale of its id (usually none, so one row per copy).
  SELECT c.*, s.sale_id, s.sale_source, s.sale_digest
  FROM kept_copies AS c
  LEFT JOIN earlier_sales AS s ON s.base_id = c.event_id
),
held_copies AS (
  SELECT
    l.*,
    max(CASE WHEN l.sale_id = l.event_id THEN 1 ELSE 0 END) OVER (
      PARTITION BY l.event_id, l.ingested_at, l.source, l.origin, l.copy_row
    ) AS id_held,
    max(CASE WHEN l.sale_id = l.event_id THEN l.sale_source END) OVER (
      PARTITION BY l.event_id, l.ingested_at, l.source, l.origin, l.copy_row
    ) AS held_source,
    max(CASE WHEN l.sale_id = l.event_id THEN l.sale_digest END) OVER (
      PARTITION BY l.event_id, l.ingested_at, l.source, l.origin, l.copy_row
    ) AS held_digest,
    max(CASE WHEN l.sale_id = l.event_id || '~' || l.source THEN 1 ELSE 0 END) OVER (
      PARTITION BY l.event_id, l.ingested_at, l.source, l.origin, l.copy_row
    ) AS own_sale_held,
    row_number() OVER (
      PARTITION BY l.event_id, l.ingested_at, l.source, l.origin, l.copy_row
      ORDER BY l.sale_id
    ) AS lookup_row
  FROM looked_up_copies AS l
),
judged_copies AS (
  -- The id's winner: gold's copy when gold holds the id, else the first copy since T.
  SELECT
    h.*,
    COALESCE(
      h.source <> (CASE WHEN h.id_held = 1 THEN h.held_source ELSE first_value(h.source) OVER (
        PARTITION BY h.event_id ORDER BY h.ingested_at, h.source, h.origin
      ) END)
      AND h.content_digest <> (CASE WHEN h.id_held = 1 THEN h.held_digest ELSE first_value(
        h.content_digest
      ) OVER (PARTITION BY h.event_id ORDER BY h.ingested_at, h.source, h.origin) END),
      false
    ) AS conflict
  FROM held_copies AS h
  WHERE h.lookup_row = 1
),
sale_copies AS (
  SELECT
    j.*,
    CASE WHEN j.conflict THEN j.event_id || '~' || j.source ELSE j.event_id END AS sale_key
  FROM judged_copies AS j
  WHERE (j.conflict AND j.own_sale_held = 0) OR (NOT j.conflict AND j.id_held = 0)
),
ranked_copies AS (
  SELECT
    c.*,
    rank() OVER (PARTITION BY c.sale_key ORDER BY c.ingested_at, c.source, c.origin) AS copy_rank
  FROM sale_copies AS c
),
winning_copies AS (
  SELECT * FROM ranked_copies WHERE copy_rank = 1
),
first_copies AS (
  -- Each sale's winning copy; the local engine keeps it as its index of sales since T.
  SELECT DISTINCT sale_key AS event_id, ingested_at, source, origin, content_digest
  FROM winning_copies
),
first_lines AS (
  SELECT
    e.sale_key AS event_id,
    CAST(CASE WHEN e.origin = 0 THEN n.line_number ELSE e.copy_row END AS integer) AS line_number,
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
    CASE WHEN e.origin = 0 THEN e.items[n.line_number].sku ELSE e.csv_sku END AS sku,
    CASE WHEN e.origin = 0 THEN e.items[n.line_number].quantity ELSE e.csv_quantity END
      AS quantity,
    CASE WHEN e.origin = 0 THEN e.items[n.line_number].unit_price ELSE e.csv_unit_price END
      AS unit_price,
    CASE WHEN e.origin = 0 THEN e.items[n.line_number].discount ELSE e.csv_discount END
      AS discount,
    e.terminal_id,
    e.salesperson_id,
    e.attributes,
    e.content_digest,
    CASE WHEN e.origin = 0 THEN e.items[n.line_number].promotion_id END AS promotion_id,
    CASE WHEN e.origin = 0 THEN e.items[n.line_number].coupon_code END AS coupon_code
  FROM winning_copies AS e
  JOIN line_numbers AS n
    ON n.line_number <= CASE WHEN e.origin = 0 THEN cardinality(e.items) ELSE 1 END
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
  CAST(hour(l.local_occurred_at) AS integer) AS sale_hour,
  l.content_digest
FROM zoned_lines AS l
LEFT JOIN products AS p
  ON p.sku = l.sku AND l.occurred_at >= p.valid_from AND l.occurred_at < p.valid_to
LEFT JOIN customers AS c
  ON c.customer_id = l.customer_id AND l.occurred_at >= c.valid_from
  AND l.occurred_at < c.valid_to
WHERE (l.store_currency IS NULL OR l.currency = l.store_currency)
  AND l.line_net <= DECIMAL '{{max_line_net_amount}}'
