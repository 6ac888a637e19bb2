"""What the API answers, computed through a QueryEngine and shared through the TTL cache.

Engines block (DuckDB computes, Athena polls), so each computation runs in a worker thread; the
cache makes concurrent identical requests wait for one computation instead of starting their own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from contract.money import format_money
from contract.reference import REFERENCE_TABLES
from contract.settings import Settings
from serving.cache import TtlCache
from serving.dimensions import dimensions
from serving.engines.base import QueryEngine
from serving.models import (
    Freshness,
    LastBatch,
    ReferenceStatus,
    SalesMetrics,
    SalesRow,
    TopProduct,
    TopProducts,
)
from serving.published_run import PublishedRun
from serving.queries import (
    EVERY_LINE,
    FLAG_RULE_MARKERS,
    EventTimeRange,
    Granularity,
    Slice,
    newest_landed_event_sql,
    reference_status_sql,
    sales_metrics_sql,
    top_products_sql,
)

MONEY_METRICS = ("net_revenue", "gross_revenue", "discount")


class ServingService:
    def __init__(self, settings: Settings, engine: QueryEngine) -> None:
        self._settings = settings
        self.zone = settings.reporting_zone
        self.engine = engine
        self.cache: TtlCache[BaseModel] = TtlCache(settings.serving_cache_seconds)
        self.dimensions = dimensions(settings.query_attributes)

    async def sales(
        self, period: EventTimeRange, granularity: Granularity, slice_: Slice = EVERY_LINE
    ) -> BaseModel:
        return await self.cache.get(
            ("sales", period, granularity, slice_),
            lambda: run_in_threadpool(self._sales, period, granularity, slice_),
        )

    async def top_products(
        self, period: EventTimeRange, limit: int, slice_: Slice = EVERY_LINE
    ) -> BaseModel:
        return await self.cache.get(
            ("top-products", period, limit, slice_),
            lambda: run_in_threadpool(self._top_products, period, limit, slice_),
        )

    async def freshness(self) -> BaseModel:
        return await self.cache.get(("freshness",), lambda: run_in_threadpool(self._freshness))

    def _sales(
        self, period: EventTimeRange, granularity: Granularity, slice_: Slice
    ) -> SalesMetrics:
        run = self.engine.refresh()
        result = self.engine.query(sales_metrics_sql(period, granularity, self.zone, slice_))
        rows = [
            SalesRow(**{**_wire(row), "bucket": self._bucket(row["bucket"])}) for row in result.rows
        ]
        return SalesMetrics(rows=rows, boundary=_iso(run.cutoff), run_id=run.run_id, as_of=_now())

    def _top_products(self, period: EventTimeRange, limit: int, slice_: Slice) -> TopProducts:
        run = self.engine.refresh()
        result = self.engine.query(top_products_sql(period, limit, self.zone, slice_))
        rows = [TopProduct(**_wire(row)) for row in result.rows]
        return TopProducts(rows=rows, boundary=_iso(run.cutoff), run_id=run.run_id, as_of=_now())

    def _freshness(self) -> Freshness:
        run = self.engine.refresh()
        result = self.engine.query(newest_landed_event_sql(run.cutoff))
        newest = result.rows[0]["newest_ingested_at"] if result.rows else None
        status = self.engine.query(reference_status_sql()).rows[0]
        now = datetime.now(UTC)
        newest_utc = _as_utc(newest) if newest is not None else None
        return Freshness(
            newest_event_ingested_at=_iso(newest_utc) if newest_utc else None,
            newest_event_age_seconds=(
                round((now - newest_utc).total_seconds(), 3) if newest_utc else None
            ),
            boundary=_iso(run.cutoff),
            last_batch=_last_batch(run),
            reporting_tz=self._settings.reporting_tz,
            today=now.astimezone(self.zone).date().isoformat(),
            reference=_reference_status(status),
            as_of=_iso(now),
        )

    def _bucket(self, value: date | datetime) -> str:
        """Days stay dates; wall times in the reporting zone get its offset."""
        if isinstance(value, datetime):
            return value.replace(tzinfo=self.zone).isoformat()
        return value.isoformat()


def _wire(row: dict[str, Any]) -> dict[str, Any]:
    """Money as two-decimal strings, counts as ints (engines may return Decimal sums)."""
    wired = dict(row)
    for name in MONEY_METRICS:
        if name in wired:
            wired[name] = format_money(Decimal(wired[name] or 0))
    for name in ("units", "orders", "returns"):
        if name in wired:
            wired[name] = int(wired[name] or 0)
    return wired


def _last_batch(run: PublishedRun) -> LastBatch | None:
    publication = run.publication
    if publication is None:
        return None
    return LastBatch(
        run_id=publication.run_id,
        cutoff=_iso(publication.cutoff),
        published_at=_iso(publication.published_at),
        duration_seconds=publication.duration_seconds,
        output_counts=publication.output_counts,
        quality_counts=publication.quality_counts,
        duplicates=publication.duplicates,
    )


def _reference_status(row: dict[str, Any]) -> ReferenceStatus:
    loaded = {table: int(row[table] or 0) for table in REFERENCE_TABLES}
    return ReferenceStatus(
        loaded=loaded,
        missing=[
            f"no {table} loaded: salesflow reference load {table} FILE"
            for table, rows in loaded.items()
            if rows == 0
        ],
        realtime_quality_counts={rule: int(row[rule] or 0) for rule in FLAG_RULE_MARKERS},
    )


def _as_utc(value: datetime) -> datetime:
    """Engines return our `timestamp` columns naive (Athena) or aware (DuckDB): both are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime) -> str:
    return _as_utc(value).isoformat()


def _now() -> str:
    return _iso(datetime.now(UTC))
