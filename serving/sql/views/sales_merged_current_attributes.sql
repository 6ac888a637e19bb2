-- The merged view with today's catalog instead of the catalog in force at each sale: every line
-- of sales_merged, its product, store and customer attributes replaced by the keys' current rows
-- (is_current). Use it to report history under the current category tree or store regions
-- ("what did the products now in Garden sell last year"); sales_merged answers "what did
-- Garden sell last year" with each sale's own category. Money, cost and margin stay as sold.
CREATE OR REPLACE VIEW sales_merged_current_attributes AS
SELECT
  m.event_id, m.line_number, m.event_type, m.sale_date, m.occurred_at, m.ingested_at, m.channel,
  m.store_id, m.order_id, m.customer_id, m.payment_method, m.currency, m.sku, m.quantity,
  m.net_units, m.unit_price, m.gross_amount, m.discount_amount, m.net_amount, m.cost_amount,
  m.margin_amount, m.source, m.terminal_id, m.salesperson_id, m.promotion_id, m.coupon_code,
  m.attributes,
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
  m.sale_year, m.sale_month, m.sale_iso_week, m.sale_weekday, m.sale_hour, m.content_digest
FROM sales_merged AS m
LEFT JOIN products AS p ON p.sku = m.sku AND p.is_current
LEFT JOIN stores AS s ON s.store_id = m.store_id AND s.is_current
LEFT JOIN customers AS c ON c.customer_id = m.customer_id AND c.is_current
