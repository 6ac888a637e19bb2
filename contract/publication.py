"""`gold/_published.json`: the pointer that makes a batch run visible, written last and atomically.

Readers (the serving layer, Athena view refresh) take the cutoff T and the table locations from
here and nothing else, so a half-written run folder is never read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from contract.errors import PublicationError
from contract.lake import PUBLISHED_POINTER
from contract.lake_io import LakeFiles


def boundary_instant(cutoff: datetime) -> datetime:
    """T as a batch run reads its inputs with and publishes it: in UTC, floored to a whole
    millisecond.

    Athena reads the Parquet timestamps of Hive tables at millisecond precision, while Spark and
    DuckDB keep microseconds. With T on the millisecond grid no event ingested at or after T can
    read as earlier than T in any engine, so none falls between gold and the real-time view; one
    ingested in the last half millisecond before T may read as T in Athena, and the real-time
    view drops that copy because gold holds its id (ADR 0001).
    """
    if cutoff.tzinfo is None or cutoff.utcoffset() is None:
        raise ValueError(f"cutoff {cutoff.isoformat()} has no time zone; pass e.g. ...T03:00Z")
    utc = cutoff.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


class DayPartition(BaseModel):
    """One `sales_wide` day of a published state: the run whose folder holds its files."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    rows: int


class Publication(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    cutoff: AwareDatetime
    """T: every event ingested before it is in gold; events ingested at or after it are not."""
    published_at: AwareDatetime
    tables: dict[str, str]
    """Table name -> the run folder holding it, relative to the lake root (for `sales_wide`, the
    run's manifest folder, `contract.lake.sales_wide_manifest`)."""
    input_counts: dict[str, int]
    """What this run read: the whole history for a full run, what arrived since the previous T
    for an incremental one."""
    output_counts: dict[str, int]
    """The published tables' rows (the whole state, however the run built it)."""
    quality_counts: dict[str, int]
    duplicates: int
    duration_seconds: float
    kind: Literal["full", "incremental"] = "full"
    silver_runs: list[str] = Field(default_factory=list)
    """The runs whose silver parts hold every line of this state, oldest first (a full run
    starts the list again). Empty for a state published before silver was stored: the next run
    is then a full one."""
    sales_wide_days: dict[str, DayPartition] = Field(default_factory=dict)
    """`sale_date` (ISO) -> where that day's `sales_wide` files are. An incremental run rewrites
    the days it affects and lists the others as they were: they are reused, never copied."""
    full_cutoff: AwareDatetime | None = None
    """T of the full rebuild this state's chain of incremental runs started from."""
    calendar: str = ""
    """`<reporting zone>|<business day rule>` the state's dates were computed with: a run under
    another calendar rebuilds everything."""


def read_publication(lake: LakeFiles) -> Publication | None:
    """The run the pointer names, or None before the first publication; every reader of the
    pointer (the serving layer, rollbacks, the profile load) goes through here."""
    document = lake.read_bytes(PUBLISHED_POINTER)
    if document is None:
        return None
    try:
        return Publication.model_validate_json(document)
    except ValidationError as error:
        raise PublicationError(
            f"{lake.uri_of(PUBLISHED_POINTER)} is not a valid publication pointer ({error}); "
            "republish with `salesflow batch run`"
        ) from error
