"""The engine of the stream sinks: coalesce concurrent requests' records into shared calls.

Requests put their records on one queue and each awaits its own records' futures. One batcher
task takes records off the queue after a bounded linger, cuts them into calls that respect the
service's limits and runs each call in a thread pool (boto3 blocks). A record the stream refused
is retried alone with exponential backoff and full jitter while its request's time budget lasts;
past the budget its future resolves as not written, so the request can answer 503. A record is
never reported written unless the stream's response said so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, Required, TypedDict

from contract.settings import Settings
from ingest_api.sinks.backoff import full_jitter_delay
from ingest_api.sinks.base import WRITTEN, PublishObserver, PublishResult, Readiness, Record

logger = logging.getLogger(__name__)

BUDGET_EXHAUSTED = "budget_exhausted"
SINK_CLOSED = "sink_closed"
DEFAULT_MAX_CALLS_IN_FLIGHT = 4


class CoalescingOptions(TypedDict, total=False):
    """How a stream sink coalesces and retries, shared by the Kinesis and SQS sinks."""

    linger_seconds: Required[float]
    budget_seconds: Required[float]
    observer: PublishObserver | None
    max_calls_in_flight: int


def coalescing_options(
    settings: Settings, observer: PublishObserver | None = None
) -> CoalescingOptions:
    return CoalescingOptions(
        linger_seconds=settings.publish_linger_ms / 1000,
        budget_seconds=settings.publish_budget_seconds,
        observer=observer,
    )


@dataclass(frozen=True, slots=True)
class CallLimits:
    """What one stream call may carry (PutRecords: 500 / 5 MiB; SendMessageBatch: 10 / 256 KiB)."""

    max_records: int
    max_bytes: int


@dataclass(frozen=True, slots=True)
class RecordFailure:
    """A record the stream did not accept in a call, and whether trying again can help."""

    code: str
    retryable: bool


class StreamWriter(Protocol):
    """One AWS service's blocking calls; the sink runs them in its thread pool."""

    limits: CallLimits

    def size_of(self, record: Record) -> int:
        """The bytes a record counts against `limits.max_bytes`."""

    def put(self, records: Sequence[Record]) -> list[RecordFailure | None]:
        """One call; None for each record the stream acknowledged. Raises if the call failed."""

    def probe(self) -> str:
        """Raise when the stream is unreachable or missing; otherwise describe it briefly."""


@dataclass(slots=True, eq=False)
class _Pending:
    record: Record
    size: int
    enqueued_at: float
    deadline: float
    future: asyncio.Future[PublishResult]
    attempts: int = 0


@dataclass(slots=True)
class _Batcher:
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    in_flight: set[asyncio.Task[None]] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


class CoalescingSink:
    """A `Sink` over any `StreamWriter`; `KinesisSink` and `SqsSink` are this with their writer."""

    def __init__(
        self,
        writer: StreamWriter,
        *,
        name: str,
        linger_seconds: float,
        budget_seconds: float,
        observer: PublishObserver | None = None,
        max_calls_in_flight: int = DEFAULT_MAX_CALLS_IN_FLIGHT,
    ) -> None:
        self._writer = writer
        self._name = name
        self._linger = linger_seconds
        self._budget = budget_seconds
        self._observer = observer
        self._max_calls_in_flight = max_calls_in_flight
        self._queue: deque[_Pending] = deque()
        self._executor = ThreadPoolExecutor(max_calls_in_flight, thread_name_prefix=f"sink-{name}")
        self._batcher: _Batcher | None = None
        self._closed = False

    @property
    def name(self) -> str:
        return self._name

    async def publish(self, records: Sequence[Record]) -> list[PublishResult]:
        if self._closed:
            return [PublishResult(written=False, failure=SINK_CLOSED)] * len(records)
        if not records:
            return []
        loop = asyncio.get_running_loop()
        batcher = self._batcher or self._start(loop)
        now = loop.time()
        deadline = now + self._budget
        size_of = self._writer.size_of
        pending = [
            _Pending(record, size_of(record), now, deadline, loop.create_future())
            for record in records
        ]
        self._queue.extend(pending)
        batcher.wakeup.set()
        futures = [item.future for item in pending]
        await asyncio.wait(futures, timeout=max(0.0, deadline - loop.time()))
        return [
            future.result()
            if future.done()
            else PublishResult(written=False, failure=BUDGET_EXHAUSTED)
            for future in futures
        ]

    async def ready(self) -> Readiness:
        loop = asyncio.get_running_loop()
        try:
            detail = await asyncio.wait_for(
                loop.run_in_executor(self._executor, self._writer.probe), self._budget
            )
        except Exception as error:  # any failure means "not ready"; the reason goes to the probe
            return Readiness(ready=False, detail=f"{self._name} unreachable: {_describe(error)}")
        return Readiness(ready=True, detail=detail)

    async def close(self) -> None:
        """Stop taking records, let calls in flight finish, fail whatever is still queued."""
        self._closed = True
        batcher, self._batcher = self._batcher, None
        if batcher is not None and batcher.task is not None:
            batcher.task.cancel()
            await asyncio.gather(batcher.task, return_exceptions=True)
            if batcher.in_flight:
                await asyncio.wait(batcher.in_flight, timeout=self._budget)
        while self._queue:
            _resolve(self._queue.popleft(), PublishResult(written=False, failure=SINK_CLOSED))
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _start(self, loop: asyncio.AbstractEventLoop) -> _Batcher:
        batcher = _Batcher()
        batcher.task = loop.create_task(self._run(batcher))
        batcher.task.add_done_callback(self._batcher_stopped)
        self._batcher = batcher
        return batcher

    def _batcher_stopped(self, task: asyncio.Task[None]) -> None:
        """A batcher that died would leave every request to time out into 503s: say why."""
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "the stream batcher stopped; requests will be answered 503",
                extra={"sink": self._name},
                exc_info=task.exception(),
            )

    async def _run(self, batcher: _Batcher) -> None:
        loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(self._max_calls_in_flight)
        while True:
            if not self._queue:
                batcher.wakeup.clear()
                await batcher.wakeup.wait()
                continue
            linger_left = self._queue[0].enqueued_at + self._linger - loop.time()
            if linger_left > 0 and not self._full_call_queued():
                await asyncio.sleep(linger_left)
            await slots.acquire()
            batch = self._take_call(loop.time())
            if not batch:
                slots.release()
                continue
            task = loop.create_task(self._call(batch, slots))
            batcher.in_flight.add(task)
            task.add_done_callback(batcher.in_flight.discard)

    def _full_call_queued(self) -> bool:
        return len(self._queue) >= self._writer.limits.max_records

    def _take_call(self, now: float) -> list[_Pending]:
        """Pop the records of one call, oldest first; fail those whose budget already ran out."""
        limits = self._writer.limits
        batch: list[_Pending] = []
        size = 0
        while self._queue and len(batch) < limits.max_records:
            item = self._queue[0]
            if item.future.done() or item.deadline <= now:
                self._queue.popleft()
                _resolve(item, PublishResult(written=False, failure=BUDGET_EXHAUSTED))
                continue
            if batch and size + item.size > limits.max_bytes:
                break
            self._queue.popleft()
            batch.append(item)
            size += item.size
        return batch

    async def _call(self, batch: list[_Pending], slots: asyncio.Semaphore) -> None:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            failures = await loop.run_in_executor(
                self._executor, self._writer.put, [item.record for item in batch]
            )
        except Exception as error:  # the whole call failed (throttled, 5xx, network): retry all
            logger.warning(
                "stream call failed, retrying its records",
                extra={"sink": self._name, "records": len(batch), "error": _describe(error)},
            )
            failures = [RecordFailure(code=type(error).__name__, retryable=True)] * len(batch)
        finally:
            slots.release()
        failed = [(item, failure) for item, failure in zip(batch, failures, strict=True) if failure]
        if self._observer is not None:
            self._observer.call_finished(len(batch), len(failed), time.perf_counter() - started)
        for item, failure in zip(batch, failures, strict=True):
            if failure is None:
                _resolve(item, WRITTEN)
        retry = [item for item, failure in failed if failure.retryable]
        for item, failure in failed:
            if not failure.retryable:
                _resolve(item, PublishResult(written=False, failure=failure.code))
        if retry:
            self._schedule_retry(retry, loop)

    def _schedule_retry(self, items: list[_Pending], loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        attempt = max(item.attempts for item in items) + 1
        delay = full_jitter_delay(attempt)
        still_in_budget = []
        for item in items:
            item.attempts = attempt
            if item.future.done() or now + delay >= item.deadline:
                _resolve(item, PublishResult(written=False, failure=BUDGET_EXHAUSTED))
            else:
                still_in_budget.append(item)
        if still_in_budget:
            if self._observer is not None:
                self._observer.records_retried(len(still_in_budget))
            loop.call_later(delay, self._requeue, still_in_budget)

    def _requeue(self, items: list[_Pending]) -> None:
        """Put retried records at the front: they are the oldest and their budget runs out first."""
        if self._closed or self._batcher is None:
            for item in items:
                _resolve(item, PublishResult(written=False, failure=SINK_CLOSED))
            return
        self._queue.extendleft(reversed(items))
        self._batcher.wakeup.set()


def _resolve(item: _Pending, result: PublishResult) -> None:
    if not item.future.done():
        item.future.set_result(result)


def _describe(error: BaseException) -> str:
    """An error's class and AWS error code, never its message: messages may echo request data."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return f"{type(error).__name__}({code})" if code else type(error).__name__
