"""Dependency aliases for the routes: the service and parsed, validated query parameters.

Every refusal is a 422 naming the query parameter at fault, in FastAPI's own error shape
(`loc: ["query", "<name>"]`), so a client can point at the field. Nothing a request sends
reaches SQL except through the whitelists of `serving.dimensions` and the enums.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError

from serving.buckets import (
    END_DAY,
    FIRST_DAY,
    MAX_BUCKETS,
    Compare,
    EventTimeRange,
    Granularity,
    align,
    local_midnight,
    too_many_buckets,
)
from serving.dimensions import Dimension, Filter
from serving.queries import Attributes, ProductOrder, Slice
from serving.service import BreakdownsQuery, ProductsQuery, SalesQuery, ServingService


def get_service(request: Request) -> ServingService:
    service: ServingService = request.app.state.service
    return service


ServiceDep = Annotated[ServingService, Depends(get_service)]

FromQuery = Annotated[
    datetime,
    Query(
        alias="from",
        description="Start of event time, inclusive: an ISO date or timestamp; without an "
        "offset it is read in the reporting time zone. Years 2000 to 2100.",
        examples=["2026-11-21"],
    ),
]
ToQuery = Annotated[
    datetime,
    Query(alias="to", description="End of event time, exclusive; same formats as `from`."),
]
GranularityQuery = Annotated[
    Granularity,
    Query(
        description="Bucket size in the reporting zone: `week` is the ISO week (from Monday), "
        "`total` one bucket for the whole range."
    ),
]
CompareQuery = Annotated[
    Compare | None,
    Query(
        description="Add each row's values over a comparison period: `previous_period` (the "
        "same length just before; whole months for a range of whole months), `previous_week`, "
        "`previous_year` (same calendar dates)."
    ),
]
GroupByQuery = Annotated[
    str | None,
    Query(
        description="One dimension, or two separated by a comma (`store_id,brand`).",
        examples=["category"],
    ),
]

MAX_GROUP_BY = 2
MAX_BREAKDOWNS = 8
"""Groupings one breakdowns request may ask: a dashboard's panels, not a cube."""
SALES_PARAMETERS = frozenset({"from", "to", "granularity", "group_by", "attributes", "compare"})
PRODUCTS_PARAMETERS = frozenset({"from", "to", "attributes", "limit", "order_by", "slow_movers"})
"""Each route's query parameters that are not dimension filters."""


def event_time_range(service: ServiceDep, start: FromQuery, end: ToQuery) -> EventTimeRange:
    """`from`/`to` as UTC instants: within the years 2000-2100, `to` after `from`, and at most
    `serving_max_range_days` apart."""
    zone = service.zone
    start_utc = _in_window("from", start, zone)
    end_utc = _in_window("to", end, zone)
    if end_utc <= start_utc:
        _invalid("to", end, f"`to` ({end.isoformat()}) must be after `from` ({start.isoformat()})")
    longest = timedelta(days=service.max_range_days)
    if end_utc - start_utc > longest:
        _invalid(
            "to",
            end,
            f"a range of {end_utc - start_utc} is longer than the maximum of "
            f"{service.max_range_days} days (SALESFLOW_SERVING_MAX_RANGE_DAYS); narrow it",
        )
    return EventTimeRange(start=start_utc, end=end_utc)


def _in_window(name: str, value: datetime, zone: ZoneInfo) -> datetime:
    """`value` as a UTC instant within the years FIRST_DAY-END_DAY. A value at the ends of
    Python's calendar (`0001-01-01T00:00+05:00`, `9999-12-31T23:59:59` read in a zone west of
    UTC) has no UTC instant at all: converting it overflows, and that too is a 422, not a 500."""
    outside = (
        f"`{name}` ({value.isoformat()}) must lie in the years {FIRST_DAY.year}-{END_DAY.year - 1}"
    )
    try:
        instant = (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    except OverflowError:
        _invalid(name, value, outside)
    if not local_midnight(FIRST_DAY, zone) <= instant <= local_midnight(END_DAY, zone):
        _invalid(name, value, outside)
    return instant


PeriodDep = Annotated[EventTimeRange, Depends(event_time_range)]


def sales_slice(
    request: Request,
    service: ServiceDep,
    group_by: GroupByQuery = None,
    attributes: Attributes = Attributes.AS_OF_SALE,
) -> Slice:
    """`group_by`, the `attributes` view and every other query parameter as a dimension filter
    (`category=Notebooks&category=Tablets`); an unknown name is refused, never ignored."""
    grouping = _grouping(service.dimensions, group_by) if group_by else ()
    filters = _filters(request, service.dimensions, SALES_PARAMETERS)
    return Slice(grouping, filters, attributes)


def breakdowns_query(
    request: Request,
    service: ServiceDep,
    period: PeriodDep,
    *,
    group_by: Annotated[
        list[str],
        Query(
            description="One grouping per `group_by`, each as `/v1/metrics/sales` takes it "
            f"(`group_by=category&group_by=store_region,store_state`), at most {MAX_BREAKDOWNS}.",
        ),
    ],
    granularity: GranularityQuery = Granularity.TOTAL,
    compare: CompareQuery = None,
    attributes: Attributes = Attributes.AS_OF_SALE,
) -> BreakdownsQuery:
    """Several `/v1/metrics/sales` groupings of one range and slice, answered by one query."""
    if len(group_by) > MAX_BREAKDOWNS:
        _invalid(
            "group_by",
            group_by,
            f"at most {MAX_BREAKDOWNS} groupings per request, got {len(group_by)}; split it",
        )
    groupings = tuple(_grouping(service.dimensions, value) for value in group_by)
    seen: set[frozenset[str]] = set()
    for value, grouping in zip(group_by, groupings, strict=True):
        names = frozenset(d.name for d in grouping)
        if names in seen:
            _invalid("group_by", value, f"the grouping {value!r} is asked twice")
        seen.add(names)
    _check_buckets(period, granularity)
    filters = _filters(request, service.dimensions, SALES_PARAMETERS)
    return BreakdownsQuery(
        align(period, granularity, service.zone),
        granularity,
        Slice((), filters, attributes),
        groupings,
        compare,
    )


def _grouping(known: dict[str, Dimension], group_by: str) -> tuple[Dimension, ...]:
    """One `group_by` value: one dimension, or two different ones separated by a comma."""
    names = [name.strip() for name in group_by.split(",")]
    if len(names) > MAX_GROUP_BY or len(set(names)) != len(names):
        _invalid(
            "group_by", group_by, f"group by one dimension or two different ones, got {group_by!r}"
        )
    for name in names:
        if name not in known:
            _invalid(
                "group_by", group_by, f"unknown dimension {name!r}; use one of {', '.join(known)}"
            )
    return tuple(known[n] for n in names)


def products_slice(
    request: Request, service: ServiceDep, attributes: Attributes = Attributes.AS_OF_SALE
) -> Slice:
    """The same filters as the sales metrics; products are the grouping, so no `group_by`."""
    return Slice((), _filters(request, service.dimensions, PRODUCTS_PARAMETERS), attributes)


def _filters(
    request: Request, known: dict[str, Dimension], parameters: frozenset[str]
) -> tuple[Filter, ...]:
    """Filters in a canonical order (by dimension, values sorted and unique), so requests
    asking the same question share one cache entry."""
    filters = []
    for name in dict.fromkeys(request.query_params.keys()):
        if name in parameters:
            continue
        if name not in known:
            _invalid(
                name,
                request.query_params[name],
                f"unknown query parameter {name!r}: filter by a dimension ({', '.join(known)})",
            )
        filters.append(Filter(known[name], tuple(sorted(set(request.query_params.getlist(name))))))
    return tuple(sorted(filters, key=lambda f: f.dimension.name))


def sales_query(
    service: ServiceDep,
    period: PeriodDep,
    slice_: Annotated[Slice, Depends(sales_slice)],
    granularity: GranularityQuery = Granularity.DAY,
    compare: CompareQuery = None,
) -> SalesQuery:
    """The question, normalised: the range rounded outwards to whole buckets (at most days)."""
    _check_buckets(period, granularity)
    return SalesQuery(align(period, granularity, service.zone), granularity, slice_, compare)


def _check_buckets(period: EventTimeRange, granularity: Granularity) -> None:
    if too_many_buckets(period, granularity):
        _invalid(
            "to",
            period.end,
            f"a range of {period.end - period.start} has more than {MAX_BUCKETS} "
            f"{granularity.value} buckets; narrow it or use a coarser granularity",
        )


def products_query(
    service: ServiceDep,
    period: PeriodDep,
    slice_: Annotated[Slice, Depends(products_slice)],
    *,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    order_by: Annotated[
        ProductOrder, Query(description="Rank by net revenue, units or margin.")
    ] = ProductOrder.NET_REVENUE,
    slow_movers: Annotated[
        bool,
        Query(
            description="The lowest sellers among the active products (today's catalog), "
            "those that sold nothing first, instead of the best."
        ),
    ] = False,
) -> ProductsQuery:
    """The range is read to the minute (rounded outwards), like a `total` bucket."""
    return ProductsQuery(
        align(period, Granularity.TOTAL, service.zone), slice_, limit, order_by, slow_movers
    )


def _invalid(field: str, value: object, message: str) -> NoReturn:
    raise RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "input": str(value)}]
    )
