"""Customer 360 answers: a customer's profile merged with today's purchases, and the run's
segment and cohort tables.

A profile lookup takes the published run's profile from the DynamoDB store when the deployment
has one and the run's load has finished (its marker, ADR 0013), else from gold's
`customer_profiles` through the query engine. It then adds the customer's real-time lines
(`sales_realtime_unbatched`: events since T that gold does not hold) and, when there are any,
scores the merged profile against the run's own cut points (`customer_rfm_quintiles`), so a
customer is ranked among the same population the batch ranked them in. Tenure and recency count
to today in the reporting time zone.

Engines block, so each computation runs in a worker thread; answers are cached like the other
metrics (`serving.cache`), unknown customers included.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel
from sqlglot import exp
from starlette.concurrency import run_in_threadpool

from contract.customers import (
    CUSTOMER_COHORTS,
    CUSTOMER_PROFILES,
    CUSTOMER_RFM_QUINTILES,
    RFM_SEGMENTS,
    SegmentRule,
    preferred,
    rfm_segment,
    score,
)
from contract.errors import ProfileStoreError
from contract.gold import RATIO_METRICS
from contract.money import CENT, format_money
from contract.settings import Settings
from serving.cache import TtlCache
from serving.customer_models import (
    CohortRow,
    CustomerMetrics,
    CustomerProfile,
    MonthRow,
    QuintileRow,
    SegmentRow,
    SinceBoundary,
    UnknownCustomer,
)
from serving.engines.base import QueryEngine
from serving.published_run import PublishedRun
from serving.queries import REALTIME_LINES
from serving.sql_files import ATHENA_DIALECT

if TYPE_CHECKING:
    from contract.profile_store import LoadedRun, ProfileStore

logger = logging.getLogger(__name__)

SALE = "sale"
Source = Literal["dynamodb", "gold", "none"]
AmountT = TypeVar("AmountT", int, Decimal)


@dataclass(frozen=True)
class Profile:
    """One `customer_profiles` row, typed (contract.customers.CUSTOMER_PROFILES_SCHEMA)."""

    customer_id: str
    customer_segment: str | None
    customer_city: str | None
    customer_state: str | None
    first_purchase_at: datetime
    last_purchase_at: datetime
    first_purchase_date: date
    last_purchase_date: date
    tenure_days: int
    recency_days: int
    orders: int
    returns: int
    units: int
    net_revenue: Decimal
    average_ticket: Decimal
    preferred_channel: str
    preferred_category: str | None
    channel_orders: dict[str, int]
    category_net_revenue: dict[str, Decimal]
    recency_score: int | None
    frequency_score: int | None
    monetary_score: int | None
    rfm_segment: str | None
    as_of_date: date

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Profile:
        """From a store item (`contract.profile_store.decode_profile`) or an engine row of
        PROFILE_SQL (maps as JSON text, timestamps naive UTC on Athena)."""
        values = {field.name: row[field.name] for field in fields(cls)}
        for name in ("first_purchase_at", "last_purchase_at"):
            values[name] = _utc(values[name])
        channel_orders = _mapping(values["channel_orders"])
        values["channel_orders"] = {key: int(count) for key, count in channel_orders.items()}
        category_net = _mapping(values["category_net_revenue"])
        values["category_net_revenue"] = {
            key: Decimal(amount).quantize(CENT) for key, amount in category_net.items()
        }
        return cls(**values)


@dataclass(frozen=True)
class RealtimeLine:
    event_id: str
    event_type: str
    occurred_at: datetime
    sale_date: date
    channel: str
    category: str | None
    net_units: int
    net_amount: Decimal
    customer_segment: str | None
    customer_city: str | None
    customer_state: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RealtimeLine:
        values = {field.name: row[field.name] for field in fields(cls)}
        values["occurred_at"] = _utc(values["occurred_at"])
        return cls(**values)


@dataclass(frozen=True)
class CutPoints:
    """A run's four cut points per measure (`contract.customers`); empty without customers."""

    last_purchase_date: list[date]
    orders: list[int]
    net_revenue: list[Decimal]

    def scored(self, profile: Profile) -> Profile:
        if not self.orders:
            return replace(
                profile,
                recency_score=None,
                frequency_score=None,
                monetary_score=None,
                rfm_segment=None,
            )
        recency = score(profile.last_purchase_date, self.last_purchase_date)
        frequency = score(profile.orders, self.orders)
        monetary = score(profile.net_revenue, self.net_revenue)
        return replace(
            profile,
            recency_score=recency,
            frequency_score=frequency,
            monetary_score=monetary,
            rfm_segment=rfm_segment(recency, frequency, monetary),
        )


def merged(
    customer_id: str,
    stored: Profile | None,
    lines: list[RealtimeLine],
    cuts: CutPoints | None,
    today: date,
) -> Profile | None:
    """The run's profile (None: not in the run) with the real-time lines added; None when
    there is no purchase at all. `cuts` is needed only when there are lines."""
    sales = {line.event_id: line for line in lines if line.event_type == SALE}
    if stored is None and not sales:
        return None
    if not lines and stored is not None:
        return _as_of(stored, today)
    assert cuts is not None, "real-time lines are scored against the run's cut points"
    channel_orders = Counter(stored.channel_orders if stored else {})
    channel_orders.update(line.channel for line in sales.values())
    category_net = dict(stored.category_net_revenue if stored else {})
    for line in lines:
        if line.category is not None:
            category_net[line.category] = (
                category_net.get(line.category, Decimal("0.00")) + line.net_amount
            )
    purchases = [(line.occurred_at, line.sale_date) for line in sales.values()]
    if stored is not None:
        purchases += [
            (stored.first_purchase_at, stored.first_purchase_date),
            (stored.last_purchase_at, stored.last_purchase_date),
        ]
    first, last = min(purchases), max(purchases)
    orders = (stored.orders if stored else 0) + len(sales)
    net_revenue = (stored.net_revenue if stored else Decimal("0.00")) + sum(
        (line.net_amount for line in lines), Decimal("0.00")
    )
    attributes = stored or max(lines, key=lambda line: (line.occurred_at, line.event_id))
    profile = Profile(
        customer_id=customer_id,
        customer_segment=attributes.customer_segment,
        customer_city=attributes.customer_city,
        customer_state=attributes.customer_state,
        first_purchase_at=first[0],
        last_purchase_at=last[0],
        first_purchase_date=first[1],
        last_purchase_date=last[1],
        tenure_days=0,
        recency_days=0,
        orders=orders,
        returns=(stored.returns if stored else 0)
        + len({line.event_id for line in lines if line.event_type != SALE}),
        units=(stored.units if stored else 0) + sum(line.net_units for line in lines),
        net_revenue=net_revenue,
        average_ticket=_ticket(net_revenue, orders),
        preferred_channel=_first_choice(channel_orders),
        preferred_category=preferred(category_net),
        channel_orders=dict(channel_orders),
        category_net_revenue=category_net,
        recency_score=None,
        frequency_score=None,
        monetary_score=None,
        rfm_segment=None,
        as_of_date=today,
    )
    return _as_of(cuts.scored(profile), today)


def _first_choice(channel_orders: Counter[str]) -> str:
    """Every profile has an order, so a channel."""
    channel = preferred(channel_orders)
    assert channel is not None, "a profile without orders"
    return channel


def average_ticket(net_revenue: Decimal, orders: int) -> Decimal | None:
    """`contract.gold`'s average ticket: net revenue per order, rounded half up; None without
    orders."""
    return RATIO_METRICS["average_ticket"].of({"net_revenue": net_revenue, "orders": orders})


def _ticket(net_revenue: Decimal, orders: int) -> Decimal:
    ticket = average_ticket(net_revenue, orders)
    assert ticket is not None, "a profile has orders"
    return ticket


def _as_of(profile: Profile, today: date) -> Profile:
    return replace(
        profile,
        tenure_days=(today - profile.first_purchase_date).days,
        recency_days=(today - profile.last_purchase_date).days,
        as_of_date=today,
    )


PROFILE_COLUMNS = tuple(field.name for field in fields(Profile))
_MAP_COLUMNS = ("channel_orders", "category_net_revenue")


def profile_sql(customer_id: str) -> str:
    """The customer's row of gold's profiles. Maps come back as JSON text of string values:
    both engines return JSON as text, and a map of strings casts to JSON in each (Trino's cast of
    a decimal-valued map is not one Athena documents), with the amounts exact."""
    columns = ", ".join(
        f"CAST(CAST({name} AS MAP(VARCHAR, VARCHAR)) AS JSON) AS {name}"
        if name in _MAP_COLUMNS
        else name
        for name in PROFILE_COLUMNS
    )
    return f"SELECT {columns} FROM {CUSTOMER_PROFILES} WHERE customer_id = {_literal(customer_id)}"


def realtime_lines_sql(customer_id: str) -> str:
    columns = ", ".join(field.name for field in fields(RealtimeLine))
    return f"SELECT {columns} FROM {REALTIME_LINES} WHERE customer_id = {_literal(customer_id)}"


CUT_POINTS_SQL = (
    f"SELECT boundary, last_purchase_date, orders, net_revenue FROM {CUSTOMER_RFM_QUINTILES} "
    "ORDER BY boundary"
)
SEGMENTS_SQL = (
    "SELECT rfm_segment AS segment, count(*) AS customers, sum(orders) AS orders, "
    f"sum(net_revenue) AS net_revenue FROM {CUSTOMER_PROFILES} GROUP BY rfm_segment"
)


def cohorts_sql(first_month: date) -> str:
    return (
        "SELECT cohort_month, months_since_first, customers, active_customers, retention_rate "
        f"FROM {CUSTOMER_COHORTS} WHERE cohort_month >= DATE '{first_month:%Y-%m-%d}' "
        "ORDER BY cohort_month, months_since_first"
    )


def months_sql(first_month: date) -> str:
    """Per calendar month, customers buying for the first time (month 0 of their cohort) and
    again (a later month): every cohort counts, not only those shown."""
    month = "date_add('month', months_since_first, cohort_month)"
    return (
        f"SELECT {month} AS month, "
        "sum(CASE WHEN months_since_first = 0 THEN active_customers ELSE 0 END) AS new_customers, "
        "sum(CASE WHEN months_since_first > 0 THEN active_customers ELSE 0 END) "
        f"AS returning_customers FROM {CUSTOMER_COHORTS} "
        f"WHERE {month} >= DATE '{first_month:%Y-%m-%d}' GROUP BY 1 ORDER BY 1"
    )


def profile_store(settings: Settings) -> ProfileStore | None:
    """The deployment's DynamoDB store, or None; boto3 is imported only when there is one."""
    if settings.customer_profile_store == "none":
        return None
    from contract.profile_store import ProfileStore

    return ProfileStore(settings)


class CustomerService:
    def __init__(self, settings: Settings, engine: QueryEngine, store: ProfileStore | None) -> None:
        self.zone = settings.reporting_zone
        self.engine = engine
        self.store = store
        self.cache: TtlCache[BaseModel] = TtlCache(settings.serving_cache_seconds)
        self._loaded_runs: dict[str, LoadedRun] = {}
        """Markers seen, by run id: a loaded run stays loaded until its marker expires."""
        self._cut_points: dict[str, CutPoints] = {}
        """By run id: a run's cut points never change."""

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    async def profile(self, customer_id: str, *, realtime: bool = True) -> BaseModel:
        """A CustomerProfile, or UnknownCustomer when there is no purchase of theirs."""
        return await self.cache.get(
            ("customer", customer_id, realtime),
            lambda: run_in_threadpool(self._profile, customer_id, realtime),
        )

    async def metrics(self, cohort_months: int) -> BaseModel:
        return await self.cache.get(
            ("customer-metrics", cohort_months),
            lambda: run_in_threadpool(self._metrics, cohort_months),
        )

    def _profile(self, customer_id: str, realtime: bool) -> BaseModel:
        run = self.engine.refresh()
        now = datetime.now(UTC)
        stored, source = self._stored(customer_id, run, now)
        lines = (
            [
                RealtimeLine.from_row(row)
                for row in self.engine.query(realtime_lines_sql(customer_id)).rows
            ]
            if realtime
            else []
        )
        cuts = self._cuts(run) if lines else None
        profile = merged(customer_id, stored, lines, cuts, now.astimezone(self.zone).date())
        if profile is None:
            published = f"run {run.run_id}" if run.run_id else "no batch run published yet"
            return UnknownCustomer(
                detail=f"customer {customer_id!r} has no purchase before T ({published}, "
                f"T = {run.cutoff.isoformat()}) nor since"
            )
        return _profile_model(profile, lines, source, run, now)

    def _stored(
        self, customer_id: str, run: PublishedRun, now: datetime
    ) -> tuple[Profile | None, Source]:
        """The run's profile from the store when its load finished, else from gold."""
        if self.store is not None and run.run_id is not None:
            try:
                if self._loaded(run.run_id, now):
                    item = self.store.profile(customer_id, run.run_id)
                    if item is None:
                        return None, "none"
                    return Profile.from_row(item), "dynamodb"
            except ProfileStoreError as error:
                logger.warning(
                    "profile store unavailable: reading the profile from gold",
                    extra={"run_id": run.run_id, "error": str(error)},
                )
        rows = self.engine.query(profile_sql(customer_id)).rows
        return (Profile.from_row(rows[0]) if rows else None), ("gold" if rows else "none")

    def _loaded(self, run_id: str, now: datetime) -> bool:
        marker = self._loaded_runs.get(run_id)
        if marker is None or marker.expires_at <= now:
            assert self.store is not None
            marker = self.store.loaded_run(run_id, now)
            if marker is None:
                return False
            self._loaded_runs = {run_id: marker}
        return True

    def _cuts(self, run: PublishedRun) -> CutPoints:
        key = run.run_id or ""
        cuts = self._cut_points.get(key)
        if cuts is None:
            rows = self.engine.query(CUT_POINTS_SQL).rows
            cuts = CutPoints(
                last_purchase_date=[row["last_purchase_date"] for row in rows],
                orders=[int(row["orders"]) for row in rows],
                net_revenue=[Decimal(row["net_revenue"]) for row in rows],
            )
            self._cut_points = {key: cuts}
        return cuts

    def _metrics(self, cohort_months: int) -> CustomerMetrics:
        run = self.engine.refresh()
        as_of = run.cutoff.astimezone(self.zone).date() if run.run_id else None
        last_month = (as_of or datetime.now(self.zone).date()).replace(day=1)
        first_month = _months_before(last_month, cohort_months - 1)
        by_segment = {row["segment"]: row for row in self.engine.query(SEGMENTS_SQL).rows}
        customers = sum(int(row["customers"]) for row in by_segment.values())
        return CustomerMetrics(
            customers=customers,
            segments=[
                _segment_row(rule, by_segment.get(rule.segment), customers) for rule in RFM_SEGMENTS
            ],
            rfm_quintiles=[
                QuintileRow(
                    boundary=row["boundary"],
                    last_purchase_date=row["last_purchase_date"].isoformat(),
                    orders=int(row["orders"]),
                    net_revenue=format_money(Decimal(row["net_revenue"])),
                )
                for row in self.engine.query(CUT_POINTS_SQL).rows
            ],
            cohorts=[
                CohortRow(**{**row, "cohort_month": row["cohort_month"].isoformat()})
                for row in self.engine.query(cohorts_sql(first_month)).rows
            ],
            months=[
                MonthRow(
                    month=_day(row["month"]).isoformat(),
                    new_customers=int(row["new_customers"]),
                    returning_customers=int(row["returning_customers"]),
                )
                for row in self.engine.query(months_sql(first_month)).rows
            ],
            as_of_date=as_of.isoformat() if as_of else None,
            boundary=run.cutoff.isoformat(),
            run_id=run.run_id,
            as_of=datetime.now(UTC).isoformat(),
        )


def _segment_row(rule: SegmentRule, row: dict[str, Any] | None, customers: int) -> SegmentRow:
    count = int(row["customers"]) if row else 0
    orders = int(row["orders"] or 0) if row else 0
    net_revenue = Decimal(row["net_revenue"] or 0) if row else Decimal("0.00")
    ticket = average_ticket(net_revenue, orders)
    return SegmentRow(
        segment=rule.segment,
        meaning=rule.meaning,
        recency=rule.recency,
        frequency=rule.frequency,
        monetary=rule.monetary,
        customers=count,
        share=count / customers if customers else 0.0,
        orders=orders,
        net_revenue=format_money(net_revenue),
        average_ticket=None if ticket is None else format_money(ticket),
    )


def _profile_model(
    profile: Profile, lines: list[RealtimeLine], source: Source, run: PublishedRun, now: datetime
) -> CustomerProfile:
    sales = {line.event_id for line in lines if line.event_type == SALE}
    returns = {line.event_id for line in lines if line.event_type != SALE}
    return CustomerProfile(
        customer_id=profile.customer_id,
        customer_segment=profile.customer_segment,
        customer_city=profile.customer_city,
        customer_state=profile.customer_state,
        first_purchase_at=profile.first_purchase_at.isoformat(),
        last_purchase_at=profile.last_purchase_at.isoformat(),
        first_purchase_date=profile.first_purchase_date.isoformat(),
        last_purchase_date=profile.last_purchase_date.isoformat(),
        tenure_days=profile.tenure_days,
        recency_days=profile.recency_days,
        orders=profile.orders,
        returns=profile.returns,
        units=profile.units,
        net_revenue=format_money(profile.net_revenue),
        average_ticket=format_money(profile.average_ticket),
        preferred_channel=profile.preferred_channel,
        preferred_category=profile.preferred_category,
        channel_orders=dict(_largest_first(profile.channel_orders)),
        category_net_revenue={
            key: format_money(amount)
            for key, amount in _largest_first(profile.category_net_revenue)
        },
        recency_score=profile.recency_score,
        frequency_score=profile.frequency_score,
        monetary_score=profile.monetary_score,
        rfm_segment=profile.rfm_segment,
        as_of_date=profile.as_of_date.isoformat(),
        since_boundary=SinceBoundary(
            orders=len(sales),
            returns=len(returns),
            units=sum(line.net_units for line in lines),
            net_revenue=format_money(sum((line.net_amount for line in lines), Decimal("0.00"))),
            lines=len(lines),
        ),
        source=source,
        boundary=run.cutoff.isoformat(),
        run_id=run.run_id,
        as_of=now.isoformat(),
    )


def _largest_first(amounts: Mapping[str, AmountT]) -> list[tuple[str, AmountT]]:
    """Entries in the order of preference (`contract.customers.preferred`)."""
    return sorted(amounts.items(), key=lambda entry: (-entry[1], entry[0]))


def _literal(value: str) -> str:
    return exp.Literal.string(value).sql(ATHENA_DIALECT)


def _utc(value: datetime) -> datetime:
    """Engines return `timestamp` columns naive (Athena) or aware (DuckDB): both are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _mapping(value: Any) -> dict[str, Any]:
    """A map column as a dict: JSON text from an engine, a dict from the store, NULL as {}."""
    if value is None:
        return {}
    if isinstance(value, str):
        parsed: dict[str, Any] = json.loads(value)
        return parsed
    return dict(value)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _months_before(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)
