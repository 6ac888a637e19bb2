"""The simulation loop: paces events to the rate and rhythm, posts them, keeps the ledger.

Every tick the loop works out how many events are due (`rate` x the rhythm's intensity x the
time since the last tick), groups them by store, and posts a group of one as `POST /v1/sales`
and a larger one as `POST /v1/sales/batch` (a till or the web shop flushing several sales at
once). At most `concurrency` requests are in flight; when the API is slower than the rate, the
loop waits, and the backlog it can build is capped so a stalled API does not lead to a flood.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from contract.money import format_money
from devstack.catalog import DEFAULT_SEED, build_catalog
from devstack.simulator.client import ApiKeyRefusedError, Delivery, IngestClient, RetryPolicy
from devstack.simulator.events import EventFactory, EventKind, EventMix, Outgoing, Payload
from devstack.simulator.ledger import Ledger
from devstack.simulator.rhythm import Rhythm, StoreTraffic
from devstack.simulator.tills import TillBook

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.1
MAX_BACKLOG_SECONDS = 5.0
"""At most this many seconds' worth of events are generated at once after a stall."""
MAX_BATCH_EVENTS = 500
BACKFILL_STEP_SECONDS = 60
LEDGER_OVERHEAD_FACTOR = 50
REPORT_EVERY_SECONDS = 5.0
"""How often the live loop looks for end-of-day reports that became due."""
LOSE_SEED = 0x10_57
"""The ledger (which lists every acknowledged id) is rewritten at most once per this many times
the last write took, so a simulator left running for days spends at most ~2% on it."""


@dataclass(frozen=True)
class SimulationConfig:
    api_url: str
    api_key: str
    rate: float = 5.0
    """Average events per second over a week; the rhythm makes it higher or lower right now."""
    duration: float | None = None
    """Seconds to run live after the backfill; None runs until stopped, 0 only backfills."""
    seed: int = DEFAULT_SEED
    flat: bool = False
    concurrency: int = 8
    batch_size: int = 100
    reporting_tz: str = "America/Sao_Paulo"
    ledger_path: Path | None = None
    ledger_every: float = 2.0
    """Seconds between ledger rewrites while running, stretched when the ledger grows large."""
    mix: EventMix = field(default_factory=EventMix)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    backfill_days: float = 0.0
    """Before going live, send this many past days of history (0: none)."""
    backfill_rate: float = 0.2
    """Average events per second of the history, over a week (before the rhythm)."""
    request_timeout: float = 15.0
    """Seconds to wait for an answer before resending: a lost answer is treated like a 503."""
    end_of_day_reports: bool = False
    """Send each till's end-of-day report (`POST /v1/reconciliations`) once its day has ended
    (`devstack.simulator.tills`)."""
    lose: float = 0.0
    """Share of events lost on the way: rung up by their till, so in its report, but not sent."""
    resend_lost_after: float | None = None
    """Seconds after which each lost event is sent after all, closing the gap (None: never)."""

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"rate must be > 0 events per second, got {self.rate}")
        if self.duration is not None and self.duration < 0:
            raise ValueError(f"duration must be >= 0 seconds, got {self.duration}")
        if not 1 <= self.batch_size <= MAX_BATCH_EVENTS:
            raise ValueError(f"batch size must be 1..{MAX_BATCH_EVENTS}, got {self.batch_size}")
        if self.backfill_days < 0 or (self.backfill_days and self.backfill_rate <= 0):
            raise ValueError(
                f"backfill needs days >= 0 and a rate > 0, got {self.backfill_days} days at "
                f"{self.backfill_rate} events per second"
            )
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency}")
        if not 0 <= self.lose < 1:
            raise ValueError(f"the share of events to lose must be in [0, 1), got {self.lose}")
        if self.resend_lost_after is not None and self.resend_lost_after < 0:
            raise ValueError(f"resend delay must be >= 0 seconds, got {self.resend_lost_after}")


Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Simulation:
    def __init__(self, config: SimulationConfig, *, clock: Clock = _utc_now) -> None:
        self.config = config
        self._clock = clock
        catalog = build_catalog(config.seed)
        rhythm = Rhythm(
            [
                StoreTraffic(store, catalog.traffic_weight(store.store_id))
                for store in catalog.stores
            ],
            flat=config.flat,
        )
        self.run_tag = secrets.token_hex(4)
        self._factory = EventFactory(
            catalog, rhythm, seed=config.seed, run_tag=self.run_tag, mix=config.mix
        )
        self._rhythm = rhythm
        self.ledger = Ledger(
            category_of={product.sku: product.category for product in catalog.products},
            reporting_zone=ZoneInfo(config.reporting_tz),
            unit_cost_of={
                product.sku: product.unit_cost
                for product in catalog.products
                if product.unit_cost is not None
            },
        )
        self._zone = ZoneInfo(config.reporting_tz)
        self._book: TillBook | None = None
        self._lose_draws = random.Random(config.seed ^ LOSE_SEED)
        """Its own generator, so losing events never changes which events are generated."""
        self._lost: deque[tuple[float, Outgoing]] = deque()
        """Lost events and when (monotonic) to resend them."""
        self._next_report = 0.0
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(config.concurrency)
        self._fatal: ApiKeyRefusedError | None = None
        """Set when the API refuses the key: the run stops and re-raises it after draining."""
        self._started = time.monotonic()
        self._next_write = self._started

    @property
    def lost_payloads(self) -> list[Payload]:
        """The events lost on the way and not resent (yet)."""
        return [outgoing.payload for _, outgoing in self._lost]

    async def run(self, stop: asyncio.Event | None = None) -> Ledger:
        """Backfill history if asked, then send live events until `duration` passes or `stop`
        is set; then wait for the requests in flight and write the ledger."""
        stop = stop or asyncio.Event()
        config = self.config
        self._started = time.monotonic()
        self._next_write = self._started + config.ledger_every
        logger.info(
            "simulator started",
            extra={"rate": config.rate, "seed": config.seed, "run_tag": self.run_tag},
        )
        if config.end_of_day_reports:
            owned_from = self._clock() - timedelta(days=config.backfill_days)
            self._book = TillBook(self._zone, owned_from, keep_days=config.mix.max_late_days + 1)
            self._factory.late_floor = owned_from
        async with IngestClient(
            config.api_url, config.api_key, retry=config.retry, timeout=config.request_timeout
        ) as client:
            if config.backfill_days:
                await self._backfill(client, stop)
                await self._drain()
                await self._report(client)
            await self._live(client, stop)
            await self._drain()
            await self._resend_the_rest(client, stop)
            await self._report(client)
        self._checkpoint()
        if self._fatal is not None:
            raise self._fatal
        logger.info("simulator stopped", extra=_progress(self.ledger))
        return self.ledger

    async def _backfill(self, client: IngestClient, stop: asyncio.Event) -> None:
        """The past `backfill_days`, minute by minute at `backfill_rate` with the rhythm, sent as
        fast as the API takes them, so a fresh stack has days of history to compare with."""
        config = self.config
        end = self._clock()
        moment = end - timedelta(days=config.backfill_days)
        due = 0.0
        pending: list[Outgoing] = []
        while moment < end and not stop.is_set() and self._fatal is None:
            due += config.backfill_rate * self._rhythm.intensity(moment) * BACKFILL_STEP_SECONDS
            count = int(due)
            due -= count
            for index in range(count):
                at = moment + timedelta(seconds=BACKFILL_STEP_SECONDS * index / count)
                pending += self._kept([self._next(min(at, end))])
            self.ledger.stats.backfilled += count
            if len(pending) >= config.batch_size * config.concurrency:
                await self._send(client, pending)
                pending = []
                self._maybe_checkpoint()
            moment += timedelta(seconds=BACKFILL_STEP_SECONDS)
        await self._send(client, pending)
        logger.info("backfill sent", extra={"events": self.ledger.stats.backfilled})

    async def _live(self, client: IngestClient, stop: asyncio.Event) -> None:
        config = self.config
        started = time.monotonic()
        last_tick = started
        due = 0.0
        while not stop.is_set() and self._fatal is None:
            now = time.monotonic()
            if config.duration is not None and now - started >= config.duration:
                return
            rate = config.rate * self._rhythm.intensity(self._clock())
            due = min(due + rate * (now - last_tick), rate * MAX_BACKLOG_SECONDS + 1)
            last_tick = now
            count = int(due)
            due -= count
            await self._send(client, self._kept([self._next(self._clock()) for _ in range(count)]))
            await self._resend_due(client)
            if time.monotonic() >= self._next_report:
                self._next_report = time.monotonic() + REPORT_EVERY_SECONDS
                await self._report(client)
            self._maybe_checkpoint()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), TICK_SECONDS)

    def _next(self, at: datetime) -> Outgoing:
        outgoing = self._factory.next_event(at)
        stats = self.ledger.stats
        stats.events_generated += 1
        if outgoing.kind is EventKind.DUPLICATE:
            stats.duplicates_sent += 1
        elif outgoing.kind is EventKind.LATE_SALE:
            stats.late_sales += 1
        elif outgoing.kind is EventKind.RETURN:
            stats.returns += 1
        return outgoing

    def _kept(self, events: list[Outgoing]) -> list[Outgoing]:
        """Ring each new event up in its till's book; keep those not lost on the way."""
        kept = []
        for outgoing in events:
            if outgoing.kind is EventKind.DUPLICATE:
                kept.append(outgoing)
                continue
            if self._book is not None:
                self._book.ring_up(outgoing.payload)
            if self.config.lose and self._lose_draws.random() < self.config.lose:
                delay = self.config.resend_lost_after
                due = math.inf if delay is None else time.monotonic() + delay
                self._lost.append((due, outgoing))
                self.ledger.stats.events_lost += 1
            else:
                kept.append(outgoing)
        return kept

    async def _resend_due(self, client: IngestClient) -> None:
        """The lost events whose resend time has come, sent as any other."""
        now = time.monotonic()
        due = []
        while self._lost and self._lost[0][0] <= now:
            due.append(self._lost.popleft()[1])
        if due:
            self.ledger.stats.events_resent += len(due)
            logger.info("resending lost events", extra={"events": len(due)})
            await self._send(client, due)

    async def _resend_the_rest(self, client: IngestClient, stop: asyncio.Event) -> None:
        """After the run, wait for the resend time of the lost events still held (unless they
        are never to be resent, or the run is stopped) and send them."""
        while self._lost and not stop.is_set() and self._fatal is None:
            wait = self._lost[0][0] - time.monotonic()
            if math.isinf(wait):
                return
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
            await self._resend_due(client)
        await self._drain()

    async def _report(self, client: IngestClient) -> None:
        """Send the end-of-day reports that are due: days ended and not reported, or changed."""
        book = self._book
        if book is None or self._fatal is not None:
            return
        now = self._clock()
        stats = self.ledger.stats
        for report in list(book.due(now)):
            try:
                errors = await client.send_report(report.body)
            except ApiKeyRefusedError as error:
                self._fatal = error
                return
            if errors is None:
                book.reported(report)
                stats.reports_sent += 1
            else:
                stats.reports_refused += 1
                logger.warning(
                    "end-of-day report refused by the ingest API",
                    extra={"scope": [str(part) for part in report.key], "errors": errors},
                )
        book.forget_before(now)

    async def _send(self, client: IngestClient, events: list[Outgoing]) -> None:
        by_store: dict[str, list[Outgoing]] = {}
        for outgoing in events:
            by_store.setdefault(outgoing.store_id, []).append(outgoing)
        for group in by_store.values():
            for start in range(0, len(group), self.config.batch_size):
                await self._slots.acquire()
                task = asyncio.create_task(
                    self._deliver(client, group[start : start + self.config.batch_size])
                )
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)

    async def _deliver(self, client: IngestClient, group: list[Outgoing]) -> None:
        try:
            stats = self.ledger.stats
            stats.events_sent += len(group)
            if len(group) == 1:
                stats.single_posts += 1
                delivery = await client.send_one(group[0].payload)
            else:
                stats.batch_posts += 1
                delivery = await client.send_batch([outgoing.payload for outgoing in group])
            self._settle(group, delivery)
        except ApiKeyRefusedError as error:
            self._fatal = error
        finally:
            self._slots.release()

    def _settle(self, group: list[Outgoing], delivery: Delivery) -> None:
        stats = self.ledger.stats
        stats.requests += delivery.requests
        stats.retries += delivery.retries
        for index in delivery.acknowledged:
            self.ledger.record_acknowledged(group[index].payload)
            self._factory.remember_acknowledged(group[index])
        for index, errors in delivery.rejected.items():
            self.ledger.record_rejected(group[index].payload["event_id"], errors)
            logger.warning(
                "event rejected by the ingest API",
                extra={"event_id": group[index].payload["event_id"], "errors": errors},
            )
        self.ledger.record_unconfirmed(group[i].payload["event_id"] for i in delivery.unconfirmed)

    async def _drain(self) -> None:
        if self._in_flight:
            await asyncio.gather(*self._in_flight)

    def _maybe_checkpoint(self) -> None:
        now = time.monotonic()
        if now >= self._next_write:
            spent = self._checkpoint()
            self._next_write = now + max(self.config.ledger_every, spent * LEDGER_OVERHEAD_FACTOR)

    def _checkpoint(self) -> float:
        """Write the ledger and log progress; returns the seconds the write took."""
        started = time.monotonic()
        if self.config.ledger_path is not None:
            self.ledger.write(self.config.ledger_path)
        elapsed = started - self._started
        logger.info("simulator progress", extra={**_progress(self.ledger), "seconds": elapsed})
        return time.monotonic() - started


def _progress(ledger: Ledger) -> dict[str, object]:
    stats = ledger.stats
    return {
        "sent": stats.events_sent,
        "acknowledged": stats.acknowledged,
        "rejected": stats.rejected,
        "unconfirmed": len(ledger.unconfirmed_ids),
        "retries": stats.retries,
        "net_revenue": format_money(ledger.totals.net_revenue),
    }
