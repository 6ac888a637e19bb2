-- The merged view: gold for everything ingested before T, plus the real-time lines of events
-- gold does not hold. Every dashboard query reads this view.
CREATE OR REPLACE VIEW sales_merged AS
SELECT * FROM sales_batch
UNION ALL
SELECT * FROM sales_realtime_unbatched
