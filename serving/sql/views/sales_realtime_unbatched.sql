-- The real-time lines of events gold does not hold yet: sales_realtime minus every event_id
-- already in the batch view, whatever day gold counts it on. A copy sent again after T may claim
-- another occurred_at, hence another sale_date; the batch keeps the first copy (contract: one
-- event per event_id), so the real-time side must not count the later one on its own day.
-- Matching on sale_date too would not make Athena read fewer gold files: Trino does not prune the
-- anti-join's build side by the days of the real-time lines (docs/cost.md).
CREATE OR REPLACE VIEW sales_realtime_unbatched AS
SELECT r.*
FROM sales_realtime AS r
WHERE NOT EXISTS (
  SELECT 1
  FROM sales_batch AS b
  WHERE b.event_id = r.event_id
)
