"""`/readyz` from a cached check: one background task probes the sink, requests read the result.

Probing per request let a flood of readiness calls (a load balancer's, a monitor's, a hostile
client's) queue probes on the sink's thread pool and connections, the ones event writes need.
Now the sink is probed once per `SALESFLOW_READINESS_CHECK_SECONDS` whatever the request rate,
and `/readyz` answers from memory. A result older than STALE_AFTER_CHECKS intervals (the task
died or a probe hangs) is reported not ready rather than trusted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from ingest_api.sinks import Sink
from ingest_api.sinks.base import Readiness

logger = logging.getLogger(__name__)

STALE_AFTER_CHECKS = 3
NOT_CHECKED = Readiness(ready=False, detail="the sink has not been checked yet")


class ReadinessCheck:
    def __init__(
        self, sink: Sink, interval_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._sink = sink
        self._interval = interval_seconds
        self._clock = clock
        self._latest = NOT_CHECKED
        self._checked_at: float | None = None
        self._task: asyncio.Task[None] | None = None
        self.checks = 0
        """How many probes ran: the figure that must not follow the request rate."""

    def latest(self) -> Readiness:
        """The last result, or not ready when there is none recent enough to trust."""
        if self._checked_at is None:
            return NOT_CHECKED
        age = self._clock() - self._checked_at
        if age > STALE_AFTER_CHECKS * self._interval:
            return Readiness(ready=False, detail=f"the last readiness check is {age:.0f}s old")
        return self._latest

    async def check(self) -> Readiness:
        """Probe the sink now and keep the result."""
        readiness = await self._sink.ready()
        self.checks += 1
        if readiness.ready != self._latest.ready:
            logger.info(
                "sink readiness changed",
                extra={"ready": readiness.ready, "detail": readiness.detail},
            )
        self._latest, self._checked_at = readiness, self._clock()
        return readiness

    async def start(self) -> None:
        """One check before the app takes traffic, then one every interval in the background."""
        await self.check()
        self._task = asyncio.create_task(self._repeat(), name="readiness-check")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _repeat(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.check()
            except Exception:  # a probe that raises must not end the checks; readyz goes stale
                logger.exception("readiness check failed")
