"""`accept_events`: the one path from validated events to acknowledged stream records.

Routes (this API's and any compatible endpoint built on the same app, such as a Segment-style
`/v1/batch`) call it with events they validated; it stamps them, publishes them through the sink
and tells, per event, whether the stream acknowledged it. Only acknowledged events may be
answered 2xx.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from contract import wire
from contract.event import SaleEvent
from ingest_api.metrics import IngestMetrics
from ingest_api.sinks import Record, Sink

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EventOutcome:
    event_id: str
    written: bool
    failure: str | None = None


@dataclass(frozen=True, slots=True)
class IngestService:
    sink: Sink
    metrics: IngestMetrics

    async def accept_events(
        self, events: Sequence[SaleEvent], source: str, ingested_at: datetime
    ) -> list[EventOutcome]:
        """Stamp `events` with `ingested_at` and `source`, publish them, report each outcome."""
        records = [
            Record(
                data=wire.encode_accepted(event, ingested_at=ingested_at, source=source),
                partition_key=wire.partition_key(event),
            )
            for event in events
        ]
        started = time.perf_counter()
        results = await self.sink.publish(records)
        self.metrics.publish_waited(time.perf_counter() - started)
        outcomes = [
            EventOutcome(event.event_id, result.written, result.failure)
            for event, result in zip(events, results, strict=True)
        ]
        written = sum(outcome.written for outcome in outcomes)
        self.metrics.events_accepted(source, written)
        if written < len(outcomes):
            self.metrics.events_rejected("unavailable", len(outcomes) - written)
            logger.warning(
                "stream did not acknowledge events within the budget",
                extra={
                    "sink": self.sink.name,
                    "events": len(outcomes),
                    "unacknowledged": len(outcomes) - written,
                    "reasons": sorted({o.failure for o in outcomes if o.failure}),
                },
            )
        return outcomes
