"""Which of the cost model's per-event figures are measured on the real code, and by which run.

The benchmarks write what they measure to `bench/results/` (`python -m bench.cost_inputs` for the
stream and the logs, `python -m bench.freshness` for bronze at a day's scale, `python -m
bench.athena_scan` for what a dashboard refresh reads on Trino, Athena's engine, `python -m
bench.realtime` and `python -m bench.serving_s3` for the DuckDB serving task, `python -m
bench.batch_incremental` for the event-id index the nightly run reads and the silver and gold a
full run keeps). This module maps
those figures onto the model's inputs, so `salesflow cost` prices a deployment from what the code
does today and says, line by line, which inputs are measured and which are still assumed. A
figure missing from the results (a fresh checkout that never ran the benchmarks keeps the
committed ones) leaves the documented assumption in place: without `athena_scan`, Athena is priced
as before it was measured, each refresh one query reading the whole bronze files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from devstack.cost.model import Assumptions

RESULTS_DIR = Path(__file__).resolve().parents[2] / "bench" / "results"


@dataclass(frozen=True)
class Source:
    benchmark: str
    """The results file (its layer name): `cost_inputs`, `freshness`, `athena_scan`, ..."""
    metric: str


@dataclass(frozen=True)
class MeasuredInput:
    name: str
    """The `Assumptions` field (or `event_bytes`, the workload's default) it sets."""
    value: Decimal
    source: Source
    at: str


EVENT_BYTES = "event_bytes"
"""The workload's average bytes per event, as one stream record: measured unless the operator
says."""
STREAM_BYTES_INPUTS = (
    "kinesis_billed_kb_per_event",
    "kinesis_put_units_per_event",
    "kinesis_stream_bytes_per_event",
    "kinesis_compressed_billed_kb_per_event",
    "kinesis_compressed_put_units_per_event",
)
"""The stream figures measured in bytes of the measured events: an operator's own event size
replaces them too (the model then prices records of the average size)."""

_SOURCES: Mapping[str, Source] = {
    EVENT_BYTES: Source("cost_inputs", "event bytes, one event per record"),
    "kinesis_records_per_event": Source("cost_inputs", "stream records per event"),
    "kinesis_billed_kb_per_event": Source("cost_inputs", "stream billed KB per event"),
    "kinesis_put_units_per_event": Source("cost_inputs", "stream PUT payload units per event"),
    "kinesis_stream_bytes_per_event": Source("cost_inputs", "stream bytes per event"),
    "kinesis_compressed_bytes_per_byte": Source(
        "cost_inputs", "stream bytes compressed per byte uncompressed"
    ),
    "kinesis_compressed_billed_kb_per_event": Source(
        "cost_inputs", "stream billed KB per event, compressed"
    ),
    "kinesis_compressed_put_units_per_event": Source(
        "cost_inputs", "stream PUT payload units per event, compressed"
    ),
    "log_bytes_per_api_request": Source("cost_inputs", "ingest API log bytes per request"),
    "log_bytes_per_invocation": Source("cost_inputs", "speed layer log bytes per landed batch"),
    "bronze_bytes_scanned_per_event": Source(
        "freshness", "bronze bytes per event, hours compacted"
    ),
    "athena_bytes_scanned_per_event": Source(
        "athena_scan", "real-time queries: bytes scanned per event since T"
    ),
    "athena_realtime_queries_per_refresh": Source(
        "athena_scan", "dashboard refresh: queries over the real-time side"
    ),
    "athena_other_queries_per_refresh": Source("athena_scan", "dashboard refresh: other queries"),
    "gold_event_id_bytes_per_event": Source(
        "athena_scan", "anti-join: gold bytes read per query per event of history"
    ),
    "serving_bytes_per_realtime_event": Source(
        "realtime", "serving database bytes per real-time event"
    ),
    "serving_bytes_per_gold_sale": Source(
        "realtime", "serving database bytes per gold sale looked up"
    ),
    "serving_list_requests_per_refresh": Source("serving_s3", "refresh with nothing new: S3 LISTs"),
    "serving_get_requests_per_refresh": Source("serving_s3", "refresh with nothing new: S3 GETs"),
    "serving_get_requests_per_merge": Source(
        "serving_s3", "a merge's S3 GETs beyond an idle refresh's"
    ),
    "serving_get_requests_per_dashboard_refresh": Source(
        "serving_s3", "dashboard refresh: S3 GETs"
    ),
    "serving_list_requests_per_dashboard_refresh": Source(
        "serving_s3", "dashboard refresh: S3 LISTs"
    ),
    "event_id_index_days_read": Source("batch_incremental", "event_id_index_days_read_365_days"),
    "event_id_index_bytes_per_event": Source(
        "batch_incremental", "event_id_index_bytes_per_entry_365_days"
    ),
    "silver_bytes_per_event": Source("batch_incremental", "silver_bytes_per_event_365_days"),
    "gold_bytes_per_event": Source("batch_incremental", "gold_bytes_per_event_365_days"),
    "reconciliation_gold_bytes_per_event": Source(
        "athena_scan",
        "reconciliation counts: gold bytes read once per run per event of the lookback days",
    ),
}


def measured_inputs(results_dir: Path = RESULTS_DIR) -> dict[str, MeasuredInput]:
    """The inputs the committed (or freshly run) benchmarks measured, by model field."""
    figures = {name: _figures(results_dir / f"{name}.json") for name in _benchmarks()}
    measured: dict[str, MeasuredInput] = {}
    for name, source in _SOURCES.items():
        found = figures[source.benchmark].get(source.metric)
        if found is not None:
            measured[name] = MeasuredInput(
                name, Decimal(str(found["value"])), source, str(found["at"])
            )
    bronze = measured.get("bronze_bytes_scanned_per_event")
    stream = measured.get(EVENT_BYTES)
    if bronze is not None and stream is not None:
        measured["parquet_bytes_per_event_byte"] = MeasuredInput(
            "parquet_bytes_per_event_byte",
            (bronze.value / stream.value).quantize(Decimal("0.0001")),
            Source("freshness", f"{bronze.source.metric} / {stream.source.metric}"),
            bronze.at,
        )
    return measured


def assumptions_with(measured: Mapping[str, MeasuredInput]) -> Assumptions:
    """The model's assumptions with every measured figure put in place of the assumed one."""
    known = {field.name for field in fields(Assumptions)}
    return replace(
        Assumptions(), **{name: m.value for name, m in measured.items() if name in known}
    )


def assumed_inputs(measured: Mapping[str, MeasuredInput]) -> list[str]:
    """The model's inputs no benchmark measures (yet): rules of thumb and deployment defaults."""
    return [field.name for field in fields(Assumptions) if field.name not in measured]


def _benchmarks() -> set[str]:
    return {source.benchmark for source in _SOURCES.values()}


def _figures(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    rows = json.loads(path.read_text())
    return {row["metric"]: row for row in rows if isinstance(row, dict) and "metric" in row}
