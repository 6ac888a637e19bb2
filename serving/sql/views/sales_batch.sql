-- The batch view: gold sales_wide of the published run, columns in contract order.
CREATE OR REPLACE VIEW sales_batch AS
SELECT
  event_id, line_number, event_type, sale_date, occurred_at, ingested_at, channel, store_id,
  order_id, customer_id, payment_method, currency, sku, quantity, net_units, unit_price,
  gross_amount, discount_amount, net_amount, cost_amount, margin_amount, source, terminal_id,
  salesperson_id, promotion_id, coupon_code, attributes, product_name,
  category, subcategory, brand, store_name, store_city, store_state, store_region,
  customer_segment, customer_city, customer_state, sale_year, sale_month, sale_iso_week,
  sale_weekday, sale_hour, content_digest
FROM sales_wide
