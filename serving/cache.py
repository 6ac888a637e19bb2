"""A TTL cache that also coalesces concurrent misses, so N dashboards cost one query.

Athena bills at least 10 MB per query: a wall of dashboards refreshing every few seconds must not
multiply that. Within `ttl_seconds` every caller gets the stored answer; when it expires, the
first caller computes it and every caller arriving meanwhile awaits that same computation.
Failures are not cached: the next caller tries again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    expires_at: float


class TtlCache(Generic[T]):
    def __init__(self, ttl_seconds: float, *, max_entries: int = 1024) -> None:
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._entries: dict[Hashable, _Entry[T]] = {}
        self._in_flight: dict[Hashable, asyncio.Future[T]] = {}
        self.computations = 0
        """How many times a value was computed (not served from the cache): for tests, metrics."""

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at > time.monotonic():
            return entry.value
        pending = self._in_flight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            self.computations += 1
            value = await compute()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved here, so an unawaited failure is not logged twice
            raise
        else:
            future.set_result(value)
            self._store(key, value)
            return value
        finally:
            del self._in_flight[key]

    def _store(self, key: Hashable, value: T) -> None:
        if self._ttl <= 0:
            return
        if len(self._entries) >= self._max_entries:
            now = time.monotonic()
            self._entries = {k: e for k, e in self._entries.items() if e.expires_at > now}
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
        self._entries[key] = _Entry(value, time.monotonic() + self._ttl)
