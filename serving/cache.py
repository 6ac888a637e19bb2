"""A TTL cache with coalesced misses and stale-while-revalidate, so N dashboards cost one query
and none of them waits for a refresh.

Athena bills at least 10 MB per query and the DuckDB engine merges new files into its real-time
side: a wall of dashboards refreshing every few seconds must neither multiply that work nor sit
through it. Within `ttl_seconds` every caller gets the stored answer, as long as the data it was
computed from is still what the engine serves (`version`, read when the computation starts: an
answer is never labelled newer than its data). After that, or as soon as the data changed, for
up to `stale_seconds` more, callers still get the stored answer at once while one background
task computes the next; older answers are not served, callers wait for the fresh one. Concurrent
callers without an answer await the same computation. Failures are not cached.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    stored_at: float
    version: int


class TtlCache(Generic[T]):
    def __init__(
        self,
        ttl_seconds: float,
        *,
        stale_seconds: float = 60.0,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
        version: Callable[[], int] = lambda: 0,
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._version = version
        self._stale = stale_seconds
        self._max_entries = max_entries
        self._entries: dict[Hashable, _Entry[T]] = {}
        self._in_flight: dict[Hashable, asyncio.Task[T]] = {}
        self.computations = 0
        """How many times a value was computed (not served from the cache): for tests, metrics."""

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        entry = self._entries.get(key)
        if entry is not None:
            age = self._clock() - entry.stored_at
            if age < self._ttl and entry.version == self._version():
                return entry.value
            if age < self._ttl + self._stale:
                self._computation(key, compute)
                return entry.value
        return await asyncio.shield(self._computation(key, compute))

    def _computation(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> asyncio.Task[T]:
        """The running computation of `key`, started if there is none."""
        task = self._in_flight.get(key)
        if task is None:
            self.computations += 1
            task = asyncio.ensure_future(self._compute_and_store(key, compute))
            self._in_flight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return task

    async def _compute_and_store(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        version = self._version()
        value = await compute()
        self._store(key, value, version)
        return value

    def _finished(self, key: Hashable, task: asyncio.Task[T]) -> None:
        del self._in_flight[key]
        if not task.cancelled() and task.exception() is not None:
            logger.warning(
                "cached computation failed", extra={"error_type": type(task.exception()).__name__}
            )

    def _store(self, key: Hashable, value: T, version: int) -> None:
        if self._ttl <= 0:
            return
        if len(self._entries) >= self._max_entries:
            oldest_kept = self._clock() - self._ttl - self._stale
            self._entries = {k: e for k, e in self._entries.items() if e.stored_at > oldest_kept}
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
        self._entries[key] = _Entry(value, self._clock(), version)
