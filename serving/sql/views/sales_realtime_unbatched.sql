-- The real-time lines of events gold does not hold yet: sales_realtime minus every event_id
-- already in the batch view. The anti-join matches on sale_date as well as event_id: copies of
-- one event share occurred_at, hence sale_date, and the extra key confines the lookup to the
-- gold partitions of the days the real-time lines fall on.
CREATE OR REPLACE VIEW sales_realtime_unbatched AS
SELECT r.*
FROM sales_realtime AS r
WHERE NOT EXISTS (
  SELECT 1
  FROM sales_batch AS b
  WHERE b.sale_date = r.sale_date AND b.event_id = r.event_id
)
