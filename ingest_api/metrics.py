"""Prometheus metrics of one app instance, in a registry of its own (tests run many apps).

Accepted and rejected events by reason, refused requests by reason, how long requests wait for
the stream's acknowledgement, and per stream call: latency, records carried, records retried.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
RECORDS_PER_CALL_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500)


class IngestMetrics:
    """Also the sinks' `PublishObserver`, so stream calls show up next to the API's figures."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._accepted = Counter(
            "salesflow_ingest_events_accepted",
            "Events durably written to the stream, by source (API key name).",
            ["source"],
            registry=self.registry,
        )
        self._rejected = Counter(
            "salesflow_ingest_events_rejected",
            "Events not accepted: `invalid` (contract) or `unavailable` (stream budget).",
            ["reason"],
            registry=self.registry,
        )
        self._accepted_by_source: dict[str, Counter] = {}
        self._refused = Counter(
            "salesflow_ingest_requests_refused",
            "Requests answered with an error status, by reason (`unauthorized`, ...).",
            ["reason"],
            registry=self.registry,
        )
        self._rate_limited = Counter(
            "salesflow_ingest_rate_limited_events",
            "Events refused with 429 because their API key was over its rate limit, by source.",
            ["source"],
            registry=self.registry,
        )
        self._segment_messages = Counter(
            "salesflow_ingest_segment_messages",
            "Segment/RudderStack messages received, by `type` and `outcome` (sale, return, "
            "ignored, rejected).",
            ["type", "outcome"],
            registry=self.registry,
        )
        self._reconciliation_reports = Counter(
            "salesflow_ingest_reconciliation_reports",
            "End-of-day reports received, by outcome: `stored` (first version), `replaced` (a "
            "later version), `unchanged` (equal to the one in force), `rejected`.",
            ["outcome"],
            registry=self.registry,
        )
        self._publish_seconds = Histogram(
            "salesflow_ingest_publish_seconds",
            "Time a request waited for the stream to acknowledge its events.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._call_seconds = Histogram(
            "salesflow_sink_call_seconds",
            "Duration of one stream call (PutRecords / SendMessageBatch).",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._records_per_call = Histogram(
            "salesflow_sink_records_per_call",
            "Records carried by one stream call: how well concurrent requests coalesce.",
            buckets=RECORDS_PER_CALL_BUCKETS,
            registry=self.registry,
        )
        self._failed_records = Counter(
            "salesflow_sink_failed_records",
            "Records a stream call did not write (throttled, failed).",
            registry=self.registry,
        )
        self._retried_records = Counter(
            "salesflow_sink_retried_records",
            "Records sent again after a failure, within the publish budget.",
            registry=self.registry,
        )

    def events_accepted(self, source: str, count: int) -> None:
        """Called on every request: the per-source child is cached (`labels()` locks and hashes)."""
        counter = self._accepted_by_source.get(source)
        if counter is None:
            counter = self._accepted_by_source[source] = self._accepted.labels(source)
        counter.inc(count)

    def events_rejected(self, reason: str, count: int) -> None:
        if count:
            self._rejected.labels(reason).inc(count)

    def request_rejected(self, reason: str) -> None:
        self._refused.labels(reason).inc()

    def rate_limited(self, source: str, events: int) -> None:
        self._rate_limited.labels(source).inc(events)

    def segment_messages(self, message_type: str, outcome: str, count: int = 1) -> None:
        self._segment_messages.labels(message_type, outcome).inc(count)

    def reconciliation_report(self, outcome: str) -> None:
        self._reconciliation_reports.labels(outcome).inc()

    def publish_waited(self, seconds: float) -> None:
        self._publish_seconds.observe(seconds)

    def call_finished(self, records: int, failed: int, seconds: float) -> None:
        self._call_seconds.observe(seconds)
        self._records_per_call.observe(records)
        if failed:
            self._failed_records.inc(failed)

    def records_retried(self, count: int) -> None:
        self._retried_records.inc(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
