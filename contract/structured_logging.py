"""JSON logs, one object a line, for every process of the platform.

Fields beyond the message come from `extra={...}`; a request id set by the ingest API's middleware
(or any other entry point) is added to every line logged while it is set. Never log payloads or
customer ids: log counts, ids of events and sizes instead.

A line that repeats once per request (a refused request) is marked `extra={SAMPLED: True}` and
kept with the probability `SALESFLOW_LOG_SAMPLE_RATE` (default 1: every one): a client sending
thousands of bad requests a second would otherwise be paid for in log ingestion. The metrics
count every one of them whatever the rate; warnings and errors are always logged.
"""

from __future__ import annotations

import json
import logging
import random
import sys
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("salesflow_request_id", default=None)

_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


SAMPLED = "sampled"


class SampleFilter(logging.Filter):
    """Keeps a share of the info lines marked `SAMPLED`; every other line passes."""

    def __init__(self, rate: float, draw: Callable[[], float] = random.random) -> None:
        super().__init__()
        self._rate = rate
        self._draw = draw

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING or not getattr(record, SAMPLED, False):
            return True
        return self._draw() < self._rate


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        entry.update(
            (key, value)
            for key, value in record.__dict__.items()
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_")
        )
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", sample_rate: float = 1.0) -> None:
    """Send every logger's records to stderr as JSON lines (idempotent), keeping `sample_rate`
    of the per-request lines marked `SAMPLED`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(SampleFilter(sample_rate))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
