"""Stream records exactly as the ingest API publishes them (`contract.wire.encode`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from contract.event import IngestedSaleEvent
from contract.lake import BRONZE_EVENTS, LakeLocation
from contract.wire import encode

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def ingested_event(
    make_event: Callable[..., dict[str, Any]], ingested_at: datetime | None = None, **fields: Any
) -> IngestedSaleEvent:
    accepted_at = ingested_at or datetime.now(UTC)
    payload = make_event(**fields)
    payload["occurred_at"] = (accepted_at - timedelta(seconds=30)).astimezone(SAO_PAULO).isoformat()
    payload["ingested_at"] = accepted_at.isoformat()
    payload["source"] = "test-shop"
    return IngestedSaleEvent.model_validate_json(json.dumps(payload))


def wire_records(
    make_event: Callable[..., dict[str, Any]], count: int, ingested_at: datetime | None = None
) -> list[bytes]:
    return [encode(ingested_event(make_event, ingested_at)) for _ in range(count)]


def bronze_event_ids(location: LakeLocation, filesystem: pafs.FileSystem) -> list[str]:
    """Every event_id in every live bronze file (`*.parquet`, not hidden), duplicates kept."""
    selector = pafs.FileSelector(location.path(BRONZE_EVENTS), allow_not_found=True, recursive=True)
    live = [
        info.path
        for info in filesystem.get_file_info(selector)
        if info.path.endswith(".parquet") and not info.base_name.startswith((".", "_"))
    ]
    if not live:
        return []
    table: pa.Table = ds.dataset(live, filesystem=filesystem, format="parquet").to_table(
        columns=["event_id"]
    )
    return [str(value) for value in table.column("event_id").to_pylist()]
