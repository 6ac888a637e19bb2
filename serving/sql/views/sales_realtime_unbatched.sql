-- The real-time lines of events gold does not hold yet: sales_realtime minus every event_id
-- gold counts on a business day since {{dedup_from_date}}: every gold day by default (0), or,
-- with SALESFLOW_REALTIME_DEDUP_DAYS=N, the days from T's date minus N (docs/adr/0022).
-- A copy sent again after T may claim another occurred_at, hence another sale_date; the batch
-- keeps the first copy (contract: one event per event_id), so the real-time side must not count
-- the later one on its own day: the match is on event_id alone, over every gold day in the window.
-- Athena reads the event_id column of every gold day in the window on each query (Trino does not
-- prune an anti-join's build side by the real-time ids), so without a window each query reads
-- all of history's ids. With one, a copy of an event gold counts on an older day counts here too
-- until the next batch run, which keeps the first copy as always.
CREATE OR REPLACE VIEW sales_realtime_unbatched AS
SELECT r.*
FROM sales_realtime AS r
WHERE NOT EXISTS (
  SELECT 1
  FROM sales_batch AS b
  WHERE b.event_id = r.event_id
    AND b.sale_date >= DATE '{{dedup_from_date}}'
)
