"""Copies of events ingested around two boundary instants, to the microsecond.

ADR 0001 puts an event ingested exactly at T in the real-time view and one ingested a
microsecond earlier in gold. The copies below land one microsecond before T, exactly at T, one
microsecond after it and exactly at the next run's T, through bronze or a CSV upload, alone or as
retries of one another, so that a boundary taken as `<=` in the batch or `>` in the real-time
view loses or doubles a sale. Shared by the DuckDB unit test (gold written by the oracle) and the
Spark test (gold written by the real job).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.unit.serving.sample_lake import Copy, ingested

TICK = timedelta(microseconds=1)
BOUNDARY = datetime(2026, 11, 21, 13, 45, 10, 250000, tzinfo=UTC)
"""T on a whole millisecond, as the batch job publishes it, with a fraction that a literal
rendered to the second would lose."""
NEXT_BOUNDARY = BOUNDARY + timedelta(milliseconds=1)
"""The following run's T, the next millisecond."""


def boundary_copies(make_event: Callable[..., dict[str, Any]]) -> list[Copy]:
    """Every delivered copy; `occurred_at` carries microseconds too, so that a round trip which
    rounded them to the millisecond would change the rows."""

    def event(event_id: str, second: int, kind: str = "sale") -> dict[str, Any]:
        occurred = datetime(2026, 11, 21, 13, 44, second, 123457, tzinfo=UTC)
        return make_event(kind, event_id=event_id, occurred_at=occurred.isoformat())

    before, at, after = BOUNDARY - TICK, BOUNDARY, BOUNDARY + TICK
    retried = event("EV-RETRIED-AT-T", 7)
    csv_then_bronze = event("EV-CSV-THEN-BRONZE", 8)
    same_instant = event("EV-BOTH-AT-T", 9)
    retried_later = event("EV-RETRIED-AT-NEXT-T", 11)
    return [
        Copy(ingested(event("EV-BRONZE-BEFORE", 1), before)),
        Copy(ingested(event("EV-BRONZE-AT-T", 2), at)),
        Copy(ingested(event("EV-BRONZE-AFTER", 3), after)),
        Copy(ingested(event("EV-CSV-BEFORE", 4), before, "legacy-csv"), via_csv=True),
        Copy(ingested(event("EV-CSV-AT-T", 5), at, "legacy-csv"), via_csv=True),
        Copy(ingested(event("EV-CSV-AFTER", 6), after, "legacy-csv"), via_csv=True),
        Copy(ingested(retried, before)),
        Copy(ingested(retried, at, "retry")),
        Copy(ingested(csv_then_bronze, before, "legacy-csv"), via_csv=True),
        Copy(ingested(csv_then_bronze, at)),
        Copy(ingested(same_instant, at)),
        Copy(ingested(same_instant, at, "legacy-csv"), via_csv=True),
        Copy(ingested(event("EV-RETURN-AT-T", 10, kind="return"), at)),
        Copy(ingested(retried_later, at)),
        Copy(ingested(retried_later, NEXT_BOUNDARY, "retry")),
        Copy(ingested(event("EV-BRONZE-AT-NEXT-T", 12), NEXT_BOUNDARY)),
        Copy(ingested(event("EV-CSV-AT-NEXT-T", 13), NEXT_BOUNDARY, "legacy-csv"), via_csv=True),
    ]


INGESTION_MICROSECONDS = {249999, 250000, 250001, 251000}
"""The fractions of a second the copies were ingested at."""


def ingested_before(copies: list[Copy], boundary: datetime) -> list[Copy]:
    return [copy for copy in copies if copy.event.ingested_at < boundary]


def ingested_from(copies: list[Copy], boundary: datetime) -> list[Copy]:
    return [copy for copy in copies if copy.event.ingested_at >= boundary]
