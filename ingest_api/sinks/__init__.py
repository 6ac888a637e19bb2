"""Where accepted events go: Kinesis, SQS, or memory (tests), behind one `Sink` protocol."""

from __future__ import annotations

from contract.settings import Settings
from ingest_api.sinks.base import WRITTEN, PublishObserver, PublishResult, Readiness, Record, Sink
from ingest_api.sinks.coalescing import BUDGET_EXHAUSTED, CoalescingSink
from ingest_api.sinks.kinesis import KinesisSink
from ingest_api.sinks.memory import MemorySink
from ingest_api.sinks.sqs import SqsSink


def build_sink(settings: Settings, observer: PublishObserver | None = None) -> Sink:
    """The sink `settings.sink` names, with its endpoint, names, linger and budget."""
    if settings.sink == "kinesis":
        return KinesisSink.from_settings(settings, observer)
    if settings.sink == "sqs":
        return SqsSink.from_settings(settings, observer)
    return MemorySink()


__all__ = [
    "BUDGET_EXHAUSTED",
    "WRITTEN",
    "CoalescingSink",
    "KinesisSink",
    "MemorySink",
    "PublishObserver",
    "PublishResult",
    "Readiness",
    "Record",
    "Sink",
    "SqsSink",
    "build_sink",
]
