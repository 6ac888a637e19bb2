"""A fake `StreamWriter`: an in-memory stream that fails the records a test chooses."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from ingest_api.sinks.base import Record
from ingest_api.sinks.coalescing import CallLimits, RecordFailure

PUT_RECORDS_LIMITS = CallLimits(max_records=500, max_bytes=5 * 1024 * 1024)
FailureRule = Callable[[Record, int], RecordFailure | None]
"""Given a record and how many times it was sent before, the failure to report (None = write)."""


class FakeStream:
    def __init__(
        self,
        limits: CallLimits = PUT_RECORDS_LIMITS,
        fail: FailureRule | None = None,
        call_seconds: float = 0.0,
        raise_on_call: Callable[[int], Exception | None] | None = None,
    ) -> None:
        self.limits = limits
        self.calls: list[list[Record]] = []
        self.written: list[Record] = []
        self._sent: dict[bytes, int] = {}
        self._fail = fail or (lambda record, attempts: None)
        self._call_seconds = call_seconds
        self._raise_on_call = raise_on_call or (lambda call: None)
        self._lock = threading.Lock()

    def size_of(self, record: Record) -> int:
        return len(record.data)

    def put(self, records: Sequence[Record]) -> list[RecordFailure | None]:
        time.sleep(self._call_seconds)
        with self._lock:
            self.calls.append(list(records))
            error = self._raise_on_call(len(self.calls))
            if error is not None:
                raise error
            failures = []
            for record in records:
                failure = self._fail(record, self._sent.get(record.data, 0))
                self._sent[record.data] = self._sent.get(record.data, 0) + 1
                if failure is None:
                    self.written.append(record)
                failures.append(failure)
            return failures

    def probe(self) -> str:
        return "fake stream"

    def times_sent(self, record: Record) -> int:
        return self._sent.get(record.data, 0)


def record(n: int, size: int = 0) -> Record:
    data = f"event-{n:05d}".encode()
    return Record(data=data + b" " * max(0, size - len(data)), partition_key=f"store-{n % 3}")
