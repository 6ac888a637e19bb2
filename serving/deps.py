"""Dependency aliases for the routes: the service and parsed, validated query parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError

from serving.dimensions import Filter
from serving.queries import Attributes, EventTimeRange, Granularity, Slice
from serving.service import ServingService

MAX_BUCKETS = 10_080
"""Enough for a week of minutes; wider ranges must use a coarser granularity."""
BUCKET_LENGTH = {
    Granularity.MINUTE: timedelta(minutes=1),
    Granularity.HOUR: timedelta(hours=1),
    Granularity.DAY: timedelta(days=1),
}


def get_service(request: Request) -> ServingService:
    service: ServingService = request.app.state.service
    return service


ServiceDep = Annotated[ServingService, Depends(get_service)]

FromQuery = Annotated[
    datetime,
    Query(
        alias="from",
        description="Start of event time, inclusive: an ISO date or timestamp; without an "
        "offset it is read in the reporting time zone.",
        examples=["2026-11-21"],
    ),
]
ToQuery = Annotated[
    datetime,
    Query(alias="to", description="End of event time, exclusive; same formats as `from`."),
]


def event_time_range(service: ServiceDep, start: FromQuery, end: ToQuery) -> EventTimeRange:
    """`from`/`to` as UTC instants; `to` must be after `from`."""
    zone = service.zone
    start_utc = (start if start.tzinfo else start.replace(tzinfo=zone)).astimezone(UTC)
    end_utc = (end if end.tzinfo else end.replace(tzinfo=zone)).astimezone(UTC)
    if end_utc <= start_utc:
        _invalid("to", end, f"`to` ({end.isoformat()}) must be after `from` ({start.isoformat()})")
    return EventTimeRange(start=start_utc, end=end_utc)


MAX_GROUP_BY = 2
COMMON_PARAMETERS = frozenset({"from", "to", "granularity", "group_by", "attributes", "limit"})
"""Query parameters of the metrics routes that are not dimension filters."""


def metrics_slice(
    request: Request,
    service: ServiceDep,
    group_by: Annotated[
        str | None,
        Query(
            description="One dimension, or two separated by a comma (`store_id,brand`).",
            examples=["category"],
        ),
    ] = None,
    attributes: Attributes = Attributes.AS_OF_SALE,
) -> Slice:
    """`group_by`, the `attributes` view and every other query parameter as a dimension filter
    (`category=Notebooks&category=Tablets`); an unknown name is refused, never ignored."""
    known = service.dimensions
    names = [name.strip() for name in group_by.split(",")] if group_by else []
    if len(names) > MAX_GROUP_BY or len(set(names)) != len(names):
        _invalid(
            "group_by", group_by, f"group by one dimension or two different ones, got {group_by!r}"
        )
    for name in names:
        if name not in known:
            _invalid(
                "group_by", group_by, f"unknown dimension {name!r}; use one of {', '.join(known)}"
            )
    filters = []
    for name in dict.fromkeys(request.query_params.keys()):
        if name in COMMON_PARAMETERS:
            continue
        if name not in known:
            _invalid(
                name,
                request.query_params[name],
                f"unknown query parameter {name!r}: filter by a dimension ({', '.join(known)})",
            )
        values = tuple(dict.fromkeys(request.query_params.getlist(name)))
        filters.append(Filter(known[name], values))
    return Slice(
        tuple(known[n] for n in names),
        tuple(sorted(filters, key=lambda f: f.dimension.name)),
        attributes,
    )


def check_bucket_count(period: EventTimeRange, granularity: Granularity) -> None:
    """A range must hold at most MAX_BUCKETS buckets of the granularity asked for."""
    if period.end - period.start > BUCKET_LENGTH[granularity] * MAX_BUCKETS:
        _invalid(
            "to",
            period.end,
            f"a range of {period.end - period.start} has more than {MAX_BUCKETS} "
            f"{granularity.value} buckets; narrow it or use a coarser granularity",
        )


def _invalid(field: str, value: object, message: str) -> None:
    raise RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "input": str(value)}]
    )
