"""An in-memory sink for tests and benchmarks: every record is "written" the moment it arrives.

It is refused by `Settings(env="aws")`: a process restart loses everything it holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest_api.sinks.base import WRITTEN, PublishResult, Readiness, Record


class MemorySink:
    def __init__(self) -> None:
        self.records: list[Record] = []

    @property
    def name(self) -> str:
        return "memory"

    async def publish(self, records: Sequence[Record]) -> list[PublishResult]:
        self.records.extend(records)
        return [WRITTEN] * len(records)

    async def ready(self) -> Readiness:
        return Readiness(ready=True, detail="in-memory sink")

    async def close(self) -> None:
        """Nothing to release; the records stay readable for the test that owns the sink."""
