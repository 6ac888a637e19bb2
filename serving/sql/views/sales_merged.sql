-- The merged view: gold for everything ingested before T, plus the real-time lines of events
-- gold does not hold. The anti-join matches on sale_date as well as event_id: copies of one
-- event share occurred_at, hence sale_date, and the extra key confines the lookup to the gold
-- partitions a query reads instead of every event_id ever sold.
CREATE OR REPLACE VIEW sales_merged AS
SELECT * FROM sales_batch
UNION ALL
SELECT r.*
FROM sales_realtime AS r
WHERE NOT EXISTS (
  SELECT 1
  FROM sales_batch AS b
  WHERE b.sale_date = r.sale_date AND b.event_id = r.event_id
)
