"""Keeps the engine current between requests, so dashboards see a landed sale within a second.

Without it the engine looks for new files and runs only when a cached answer expires: a sale
landed just after a refresh waited for the cache's TTL, then for the merge, before any answer
could count it. Refreshing every `SALESFLOW_SERVING_REFRESH_SECONDS` merges new files as they
land, off the request path, and moves the engine's `version` so the cache knows which answers
are stale (`serving/cache.py`). On Athena it reads only the publication pointer, which moves the
catalog to a new run before the first request after it asks.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from serving.engines.base import QueryEngine

logger = logging.getLogger(__name__)


async def keep_fresh(engine: QueryEngine, every_seconds: float) -> None:
    """Refresh `engine` every `every_seconds` after the previous refresh ended, until cancelled.
    A failure is logged when it starts or changes, and retried: requests report it themselves."""
    failing: str | None = None
    while True:
        try:
            await run_in_threadpool(engine.refresh)
        except Exception as error:  # the engine's own failures; requests surface them to clients
            if type(error).__name__ != failing:
                logger.warning(
                    "background refresh failed",
                    extra={"error_type": type(error).__name__, "error": str(error)},
                )
            failing = type(error).__name__
        else:
            if failing is not None:
                logger.info("background refresh recovered", extra={"error_type": failing})
            failing = None
        await asyncio.sleep(every_seconds)
