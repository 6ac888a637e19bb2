"""What the merged view counts per store, business date, terminal and event type, in the Athena
dialect like every serving query (DuckDB runs it through sqlglot).

The merged view is gold before T plus the real-time lines after it, so the same counts are right
before and after a batch run; each query is written over a `view` so that `counts.MergedCounts`
can ask it of each side apart. The business date is `contract.business_day.BUSINESS_DATE_COLUMN`,
which is also gold's partition column: every query prunes to the days asked for. Store ids reach
the SQL only as literals sqlglot renders.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlglot import exp

from contract.business_day import BUSINESS_DATE_COLUMN
from serving.dimensions import ATHENA_DIALECT

GROUP_KEYS = ("store_id", "business_date", "terminal_id", "event_type")
EVENT_KEYS = ("store_id", "business_date", "terminal_id", "event_id", "event_type")


def counted_groups_sql(view: str, first: date, last: date, store_id: str | None = None) -> str:
    """Per store, business date, terminal and event type (`GROUP_KEYS`): distinct events and
    net amount."""
    return (
        f"SELECT store_id, {BUSINESS_DATE_COLUMN} AS business_date, terminal_id, event_type, "
        "count(DISTINCT event_id) AS events, sum(net_amount) AS net_amount "
        f"FROM {view} WHERE {_where(first, last, [store_id] if store_id else None)} "
        "GROUP BY 1, 2, 3, 4"
    )


def counted_events_sql(view: str, first: date, last: date, store_ids: Iterable[str]) -> str:
    """Each event of the given stores (`EVENT_KEYS`) with its net amount, for reports that list
    event ids."""
    return (
        f"SELECT store_id, {BUSINESS_DATE_COLUMN} AS business_date, terminal_id, event_id, "
        f"event_type, sum(net_amount) AS net_amount FROM {view} "
        f"WHERE {_where(first, last, sorted(set(store_ids)))} GROUP BY 1, 2, 3, 4, 5"
    )


def _where(first: date, last: date, store_ids: list[str] | None) -> str:
    where = f"{BUSINESS_DATE_COLUMN} BETWEEN DATE '{first:%Y-%m-%d}' AND DATE '{last:%Y-%m-%d}'"
    if store_ids is not None:
        literals = ", ".join(exp.Literal.string(s).sql(ATHENA_DIALECT) for s in store_ids)
        where += f" AND store_id IN ({literals})"
    return where


def store_zones_sql() -> str:
    """Each current store's time zone: when its business day ends (`Clock.overdue`)."""
    return "SELECT store_id, time_zone FROM stores WHERE is_current"
