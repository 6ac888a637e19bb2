"""`GET /v1/reconciliations` and `GET /v1/reconciliations/store-day`: the tills' end-of-day
reports against the merged view, per store and business day (docs/reconciliation.md); and the
dashboard panel showing them."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from serving.buckets import END_DAY, FIRST_DAY
from serving.reconciliation.models import Reconciliations, StoreDayDetail
from serving.reconciliation.service import ReconciliationService

router = APIRouter(prefix="/v1/reconciliations", tags=["reconciliation"])

PANEL_SCRIPT = Path(__file__).parent.parent / "static" / "reconciliation-panel.js"
"""The dashboard's reconciliation panel: a script of its own, inlined into the page served."""

MAX_DAYS = 92
"""The longest range of business days one request compares."""
STORE_ID_PATTERN = r"^[A-Za-z0-9_.:/-]{1,64}$"

StoreQuery = Annotated[
    str | None,
    Query(pattern=STORE_ID_PATTERN, description="Only this store.", examples=["SP-PAULISTA-01"]),
]


def _service(request: Request) -> ReconciliationService:
    service: ReconciliationService = request.app.state.reconciliation
    return service


@router.get("", response_model=Reconciliations)
async def reconciliations(
    request: Request,
    day: Annotated[
        date | None,
        Query(alias="date", description="One business day; or give `from` and `to`."),
    ] = None,
    first: Annotated[
        date | None, Query(alias="from", description="First business day, inclusive.")
    ] = None,
    end: Annotated[
        date | None,
        Query(alias="to", description="Business day after the last one (exclusive, as elsewhere)."),
    ] = None,
    store_id: StoreQuery = None,
) -> BaseModel:
    """Per store and business day: `matched`, `gap` (with the missing and extra counts and
    amounts, and the event ids to resend when the reports list them) or `not_reported`, and
    whether it is overdue. Without dates: the last SALESFLOW_RECONCILIATION_LOOKBACK_DAYS days."""
    service = _service(request)
    for name, value in (("date", day), ("from", first), ("to", end)):
        _within_years(name, value)
    if day is not None:
        if first is not None or end is not None:
            _invalid("date", day, "give either `date` or `from` and `to`, not both")
        first, last = day, day
    elif first is None and end is None:
        last = service.today()
        first = last - timedelta(days=service.lookback_days - 1)
    elif first is None or end is None:
        missing = "from" if first is None else "to"
        _invalid(missing, None, "give both `from` and `to` (or `date`)")
    else:
        if end <= first:
            _invalid("to", end, f"`to` ({end}) must be after `from` ({first})")
        if (end - first).days > MAX_DAYS:
            _invalid("to", end, f"compare at most {MAX_DAYS} days per request")
        last = end - timedelta(days=1)
    return await service.store_days(first, last, store_id)


@router.get("/store-day", response_model=StoreDayDetail)
async def store_day(
    request: Request,
    store_id: Annotated[str, Query(pattern=STORE_ID_PATTERN)],
    day: Annotated[date, Query(alias="date", description="The business day.")],
) -> BaseModel:
    """One store-day with every version of each report and each recorded change of its result."""
    _within_years("date", day)
    detail = await _service(request).store_day(store_id, day)
    if detail is None:
        raise HTTPException(404, f"store {store_id} has neither a sale nor a report on {day}")
    return detail


def _within_years(field: str, day: date | None) -> None:
    """422 for a business day outside the years the query API answers (as `/v1/metrics`), so a
    typo such as 0001-01-01 or 9999-12-31 is named instead of searched for or overflowing."""
    if day is not None and not FIRST_DAY <= day < END_DAY:
        _invalid(
            field,
            day,
            f"`{field}` ({day}) must lie in the years {FIRST_DAY.year}-{END_DAY.year - 1}",
        )


def _invalid(field: str, value: object, message: str) -> NoReturn:
    raise RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "input": str(value)}]
    )


def with_panel(page: str) -> str:
    """The dashboard page with the reconciliation panel's script inlined before `</body>`, so
    the page stays one self-contained document while the panel is kept in a file of its own."""
    head, body_end, tail = page.rpartition("</body>")
    if not body_end:
        return page
    return f"{head}<script>\n{PANEL_SCRIPT.read_text()}</script>\n</body>{tail}"
