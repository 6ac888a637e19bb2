"""The bronze row: an `IngestedSaleEvent` as one Parquet row, and the conversion both ways."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import Any

import pyarrow as pa

from contract.arrow_schema import arrow_schema
from contract.event import IngestedSaleEvent

BRONZE_SCHEMA = arrow_schema(IngestedSaleEvent)


def bronze_row(event: IngestedSaleEvent) -> dict[str, Any]:
    """The event as a dict in the bronze schema's shape, timestamps in UTC.

    Reads the validated fields as they are instead of `model_dump()`, which costs more than the
    rest of landing a record (profiled). Enum members are `StrEnum`s: Arrow stores their values.
    """
    row = dict(event.__dict__)
    row["items"] = [item.__dict__ for item in event.items]
    row["occurred_at"] = event.occurred_at.astimezone(UTC)
    row["ingested_at"] = event.ingested_at.astimezone(UTC)
    return row


def bronze_table(events: Iterable[IngestedSaleEvent]) -> pa.Table:
    return pa.Table.from_pylist([bronze_row(event) for event in events], schema=BRONZE_SCHEMA)
