"""What every sink shares: the record it carries, the per-record result, and the `Sink` protocol.

A sink answers each record with a `PublishResult`; `written=True` means the stream acknowledged
it durably, and only then may the API answer 2xx for that event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Record:
    """One stream record: the wire bytes of an accepted event and its partition key."""

    data: bytes
    partition_key: str


@dataclass(frozen=True, slots=True)
class PublishResult:
    written: bool
    failure: str | None = None
    """Why the record was not written (an AWS error code or `budget_exhausted`); None if written."""


WRITTEN = PublishResult(written=True)


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    detail: str


class Sink(Protocol):
    """Where accepted events go. `publish` returns one result per record, in order."""

    @property
    def name(self) -> str: ...

    async def publish(self, records: Sequence[Record]) -> list[PublishResult]: ...

    async def ready(self) -> Readiness: ...

    async def close(self) -> None: ...


class PublishObserver(Protocol):
    """Receives the figures of every stream call, for metrics; implemented by the API's metrics."""

    def call_finished(self, records: int, failed: int, seconds: float) -> None: ...

    def records_retried(self, count: int) -> None: ...
