"""What the API answers, computed through a QueryEngine and shared through the TTL cache.

Engines block (DuckDB computes, Athena polls), so each computation runs in a worker thread; the
cache makes concurrent identical requests wait for one computation instead of starting their own.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from contract.gold import METRIC_DEFINITIONS, RATIO_METRICS
from contract.money import format_money
from contract.quality import EVENT_ID_CONFLICTS
from contract.reference import REFERENCE_TABLES
from contract.settings import Settings
from serving.buckets import (
    MAX_BUCKETS,
    Compare,
    EventTimeRange,
    Granularity,
    as_utc,
    bucket_label,
    comparison,
    instant_label,
    instants_of_wall,
    is_wall_bucket,
)
from serving.buckets import Comparison as ComparisonRange
from serving.cache import TtlCache
from serving.dimensions import Dimension, dimensions
from serving.display import zone_country
from serving.engines.base import QueryEngine
from serving.models import (
    Comparison,
    Display,
    Freshness,
    LastBatch,
    Metrics,
    Period,
    ProductRow,
    ReferenceStatus,
    SalesBreakdowns,
    SalesMetrics,
    SalesRow,
    TopProducts,
    Totals,
)
from serving.published_run import PublishedRun
from serving.queries import (
    COMPARISON,
    CURRENT,
    FLAG_RULE_MARKERS,
    ProductOrder,
    Slice,
    newest_landed_event_sql,
    reference_status_sql,
    sales_breakdowns_sql,
    sales_metrics_sql,
    slow_movers_sql,
    store_currency_sql,
    top_products_sql,
)

UNKNOWN_WHEN_NULL = ("cost", "margin")
"""Sums that stay NULL (unknown) when no line of the group has a known product cost."""
COUNT_METRICS = ("units", "orders", "returns")


@dataclass(frozen=True)
class SalesQuery:
    """A `/v1/metrics/sales` question, normalised (range aligned to its buckets, filters
    sorted): it is its own cache key, so equal questions share one answer."""

    period: EventTimeRange
    granularity: Granularity
    slice_: Slice
    compare: Compare | None = None


@dataclass(frozen=True)
class BreakdownsQuery:
    """A `/v1/metrics/sales/breakdowns` question: `groupings`, each a `/v1/metrics/sales`
    `group_by`, over one range, granularity and `slice_` (filters and attributes, no group)."""

    period: EventTimeRange
    granularity: Granularity
    slice_: Slice
    groupings: tuple[tuple[Dimension, ...], ...]
    compare: Compare | None = None

    def grouped_by(self, grouping: tuple[Dimension, ...]) -> SalesQuery:
        """The `/v1/metrics/sales` question whose answer is this grouping's."""
        slice_ = Slice(grouping, self.slice_.filters, self.slice_.attributes)
        return SalesQuery(self.period, self.granularity, slice_, self.compare)


@dataclass(frozen=True)
class ProductsQuery:
    """A `/v1/metrics/top-products` question, normalised like SalesQuery."""

    period: EventTimeRange
    slice_: Slice
    limit: int = 10
    order: ProductOrder = ProductOrder.NET_REVENUE
    slow_movers: bool = False


class ServingService:
    def __init__(self, settings: Settings, engine: QueryEngine) -> None:
        self._settings = settings
        self.zone = settings.reporting_zone
        self.calendar = settings.calendar
        self.engine = engine
        self.cache: TtlCache[BaseModel] = TtlCache(
            settings.serving_cache_seconds, version=lambda: engine.version
        )
        self.dimensions = dimensions(settings.query_attributes)
        self.max_range_days = settings.serving_max_range_days

    async def sales(self, query: SalesQuery) -> BaseModel:
        return await self._cached(("sales", query), lambda: self._sales(query))

    async def breakdowns(self, query: BreakdownsQuery) -> BaseModel:
        return await self._cached(("breakdowns", query), lambda: self._breakdowns(query))

    async def top_products(self, query: ProductsQuery) -> BaseModel:
        return await self._cached(("top-products", query), lambda: self._top_products(query))

    async def freshness(self) -> BaseModel:
        return await self._cached(("freshness",), self._freshness)

    async def display(self) -> BaseModel:
        return await self._cached(("display",), self._display)

    async def _cached(self, key: Hashable, compute: Callable[[], BaseModel]) -> BaseModel:
        """The cached answer to `key`, computed in a worker thread (engines block)."""
        return await self.cache.get(key, lambda: run_in_threadpool(compute))

    def _sales(self, query: SalesQuery) -> SalesMetrics:
        run = self.engine.refresh()
        compared = comparison(query.compare, query.period, self.zone) if query.compare else None
        sql = sales_metrics_sql(
            query.period, query.granularity, self.calendar, query.slice_, compared
        )
        return self._sales_answer(query, compared, run, self.engine.query(sql).rows)

    def _breakdowns(self, query: BreakdownsQuery) -> SalesBreakdowns:
        """One query for every grouping; each grouping's rows are those whose non-NULL
        dimensions are exactly its own, the total rows (every dimension NULL) belong to all."""
        run = self.engine.refresh()
        compared = comparison(query.compare, query.period, self.zone) if query.compare else None
        sql = sales_breakdowns_sql(
            query.period,
            query.granularity,
            self.calendar,
            query.slice_,
            groupings=query.groupings,
            comparison=compared,
        )
        names = tuple(dict.fromkeys(d.name for grouping in query.groupings for d in grouping))
        rows_by_grouping: dict[frozenset[str], list[dict[str, Any]]] = {}
        for row in self.engine.query(sql).rows:
            present = frozenset(name for name in names if row[name] is not None)
            rows_by_grouping.setdefault(present, []).append(row)
        totals = rows_by_grouping.get(frozenset(), [])
        answers = []
        for grouping in query.groupings:
            own = {d.name for d in grouping}
            rows = [
                {key: value for key, value in row.items() if key not in names or key in own}
                for row in [*rows_by_grouping.get(frozenset(own), []), *totals]
            ]
            answers.append(self._sales_answer(query.grouped_by(grouping), compared, run, rows))
        return SalesBreakdowns(breakdowns=answers)

    def _sales_answer(
        self,
        query: SalesQuery,
        compared: ComparisonRange | None,
        run: PublishedRun,
        result_rows: list[dict[str, Any]],
    ) -> SalesMetrics:
        """The answer to `query` from the rows of its SQL (`sales_metrics_sql`'s columns)."""
        names = [d.name for d in query.slice_.group_by]
        walls = compared is not None and is_wall_bucket(query.granularity, compared.shift)
        cells: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
        totals: dict[str, dict[str, Any] | None] = {}
        bucket_rows: dict[str, list[dict[str, Any]]] = {CURRENT: [], COMPARISON: []}
        for row in result_rows:
            side, bucket = row.pop("side"), row.pop("bucket")
            groups = tuple(row.pop(name) for name in names)
            if bucket is None:
                totals[side] = row
                continue
            bucket_rows[side].append(row)
            for placed in self._placed(bucket, side, walls, query.period):
                cells.setdefault((placed, *groups), {})[side] = row
        if not names:  # no total rows were asked for: the buckets add up (sales_metrics_sql)
            for side in (CURRENT, COMPARISON):
                totals[side] = _sum(bucket_rows[side])
        compares = compared is not None
        # Sorted by bucket, then group values: never NULL (dimensions are labelled), so they
        # compare; all buckets of one answer have one type.
        rows = [
            SalesRow(
                bucket=bucket_label(key[0], self.zone),
                **dict(zip(names, key[1:], strict=True)),
                **_metrics(sides.get(CURRENT)).model_dump(),
                comparison=_metrics(sides.get(COMPARISON)) if compares else None,
            )
            for key, sides in sorted(cells.items())
        ]
        return SalesMetrics(
            period=self._period(query.period),
            granularity=query.granularity.value,
            group_by=names,
            comparison=(
                Comparison(
                    **self._period(compared.period).model_dump(by_alias=True),
                    compare=compared.compare.value,
                )
                if compared
                else None
            ),
            rows=rows,
            totals=Totals(
                **_metrics(totals.get(CURRENT)).model_dump(),
                comparison=_metrics(totals.get(COMPARISON)) if compares else None,
            ),
            boundary=_iso(run.cutoff),
            run_id=run.run_id,
            as_of=_now(),
        )

    def _placed(
        self, bucket: date | datetime, side: str, walls: bool, period: EventTimeRange
    ) -> list[date | datetime]:
        """The buckets of the answer a row sits in: its own (a date, or an instant made aware),
        or, for a comparison minute or hour moved by whole days (a wall time, `is_wall_bucket`),
        each asked bucket with that local time: two on a fall-back night, none for the hour a
        spring-forward skips (that row then counts in the comparison's total only)."""
        if not isinstance(bucket, datetime):
            return [bucket]
        if walls and side == COMPARISON:
            return list(instants_of_wall(as_utc(bucket).replace(tzinfo=None), self.zone, period))
        return [as_utc(bucket)]

    def _top_products(self, query: ProductsQuery) -> TopProducts:
        run = self.engine.refresh()
        build = slow_movers_sql if query.slow_movers else top_products_sql
        sql = build(query.period, query.limit, self.calendar, query.slice_, query.order)
        rows = [
            ProductRow(
                sku=row["sku"],
                product_name=row["product_name"],
                category=row["category"],
                brand=row["brand"],
                **_metrics(row).model_dump(),
            )
            for row in self.engine.query(sql).rows
        ]
        return TopProducts(
            period=self._period(query.period),
            order_by=query.order.value,
            slow_movers=query.slow_movers,
            rows=rows,
            boundary=_iso(run.cutoff),
            run_id=run.run_id,
            as_of=_now(),
        )

    def _freshness(self) -> Freshness:
        run = self.engine.refresh()
        result = self.engine.query(newest_landed_event_sql(run.cutoff))
        newest = result.rows[0]["newest_ingested_at"] if result.rows else None
        status = self.engine.query(reference_status_sql()).rows[0]
        now = datetime.now(UTC)
        newest_utc = as_utc(newest) if newest is not None else None
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

    def _display(self) -> Display:
        self.engine.refresh()
        currencies = self.engine.query(store_currency_sql()).rows
        return Display(
            locale=self._settings.display_locale,
            country=zone_country(self._settings.reporting_tz),
            currency=currencies[0]["currency"] if currencies else None,
            reporting_tz=self._settings.reporting_tz,
            business_day=self.calendar.business_day.value,
            today=datetime.now(UTC).astimezone(self.zone).date().isoformat(),
            dimensions=list(self.dimensions),
            max_range_days=self.max_range_days,
            max_buckets=MAX_BUCKETS,
        )

    def _period(self, period: EventTimeRange) -> Period:
        return Period(
            from_=instant_label(period.start, self.zone), to=instant_label(period.end, self.zone)
        )


def _metrics(row: dict[str, Any] | None) -> Metrics:
    """A group's sums as the API shows them, with the ratios computed from them (Decimal, so
    every engine rounds alike); no row means no line: zeros, and cost and margin unknown."""
    sums: dict[str, Decimal | int | None] = {}
    for name in METRIC_DEFINITIONS:
        value = row.get(name) if row else None
        if name in COUNT_METRICS:
            sums[name] = int(value or 0)
        elif name in UNKNOWN_WHEN_NULL:
            sums[name] = None if value is None else Decimal(value)
        else:
            sums[name] = Decimal(value or 0)
    ratios = {name: ratio.of(sums) for name, ratio in RATIO_METRICS.items()}
    return Metrics(
        **{name: _wire(value) for name, value in sums.items()},
        **{name: None if value is None else f"{value:.2f}" for name, value in ratios.items()},
    )


def _sum(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The sums of disjoint groups' sums (NULL, an unknown cost, only when all are NULL)."""
    if not rows:
        return None
    total: dict[str, Any] = {}
    for name in METRIC_DEFINITIONS:
        known = [row[name] for row in rows if row[name] is not None]
        total[name] = sum(known) if known else None
    return total


def _wire(value: Decimal | int | None) -> str | int | None:
    """Money as a two-decimal string, counts as ints, unknown as None."""
    if value is None or isinstance(value, int):
        return value
    return format_money(value)


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
        realtime_quality_counts={
            rule: int(row[rule] or 0) for rule in (*FLAG_RULE_MARKERS, EVENT_ID_CONFLICTS)
        },
    )


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat()


def _now() -> str:
    return _iso(datetime.now(UTC))
