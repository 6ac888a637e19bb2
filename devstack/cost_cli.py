"""`salesflow cost`: estimate the monthly AWS bill of a deployment from its workload."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from devstack.cost.inputs import (
    EVENT_BYTES,
    STREAM_BYTES_INPUTS,
    assumptions_with,
    measured_inputs,
)
from devstack.cost.model import Workload, estimate
from devstack.cost.prices import PriceFileError, load_prices
from devstack.cost.report import as_json, as_table


def _count(text: str) -> int:
    """An event count: `250000`, `250_000`, `250k`, `1M` or `100m`."""
    multipliers = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}
    cleaned = text.strip().replace("_", "").replace(",", "").lower()
    factor = multipliers.get(cleaned[-1:], 1)
    digits = cleaned[:-1] if factor != 1 else cleaned
    try:
        value = Decimal(digits) * factor
    except InvalidOperation:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a count; use a number such as 250000, 250k or 1M"
        ) from None
    if value <= 0 or value != value.to_integral_value():
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive whole number")
    return int(value)


def _rate(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def _days_or_every(text: str) -> int:
    """A number of days, 0 meaning every day."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative (0: every day)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Workload(events_per_day=1)
    parser.add_argument(
        "--events-per-day", type=_count, default=1_000_000, help="events a day (1M, 250k, ...)"
    )
    parser.add_argument(
        "--event-bytes",
        type=_count,
        default=None,
        help="average bytes of one event (default: as `python -m bench.cost_inputs` measured "
        f"it, else {defaults.event_bytes}); given, Kinesis prices records of the average size",
    )
    parser.add_argument(
        "--retention-days",
        type=_count,
        default=defaults.retention_days,
        help="days of history the lake keeps (and the nightly job rebuilds)",
    )
    parser.add_argument(
        "--dashboard-queries-per-hour",
        type=_rate,
        default=defaults.dashboard_queries_per_hour,
        help="dashboard refreshes per hour that reach the engine (past the serving cache); "
        "each runs the refresh's queries, as `python -m bench.athena_scan` measured them",
    )
    parser.add_argument(
        "--serving-engine",
        choices=["duckdb", "athena"],
        default=defaults.serving_engine,
        help="what answers the dashboard (the Terraform root's serving_engine): DuckDB in the "
        "serving tasks, sized from `python -m bench.realtime`, or Athena, billed per scan",
    )
    parser.add_argument(
        "--serving-refresh-seconds",
        type=_rate,
        default=defaults.serving_refresh_seconds,
        help="how often a DuckDB serving task lists the lake for landed files",
    )
    parser.add_argument(
        "--batch-size",
        type=_count,
        default=defaults.batch_size,
        help="records per speed-layer invocation",
    )
    parser.add_argument(
        "--batching-window-seconds",
        type=_rate,
        default=defaults.batching_window_seconds,
        help="how long the speed layer gathers records before an invocation",
    )
    parser.add_argument("--sink", choices=["kinesis", "sqs"], default=defaults.sink)
    parser.add_argument(
        "--stream-mode", choices=["on-demand", "provisioned"], default=defaults.stream_mode
    )
    parser.add_argument(
        "--stream-retention-hours", type=_count, default=defaults.stream_retention_hours
    )
    parser.add_argument(
        "--gold-runs-kept",
        type=_count,
        default=defaults.gold_runs_kept,
        help="nightly run folders the lake keeps",
    )
    parser.add_argument(
        "--realtime-dedup-days",
        type=_days_or_every,
        default=defaults.realtime_dedup_days,
        help="gold days before T's date the real-time view looks up for earlier copies "
        "(SALESFLOW_REALTIME_DEDUP_DAYS; Terraform's default; 0: every day of history)",
    )
    parser.add_argument(
        "--full-rebuild-every-days",
        type=int,
        default=defaults.full_rebuild_every_days,
        help="SALESFLOW_BATCH_FULL_EVERY_DAYS: one nightly run in this many rebuilds all of "
        "history from bronze (0: only when asked)",
    )
    parser.add_argument(
        "--bronze-intelligent-tiering",
        action=argparse.BooleanOptionalAction,
        default=defaults.bronze_intelligent_tiering,
        help="compacted bronze in S3 Intelligent-Tiering (the lake module's "
        "`bronze_intelligent_tiering`)",
    )
    parser.add_argument(
        "--kinesis-compression",
        action=argparse.BooleanOptionalAction,
        default=defaults.kinesis_compression,
        help="the ingest API puts its Kinesis records gzip-compressed "
        "(SALESFLOW_KINESIS_COMPRESSION; Terraform's `kinesis_compression`)",
    )
    parser.add_argument(
        "--event-ids",
        choices=["time-ordered", "random"],
        default=defaults.event_ids,
        help="how clients make event ids: time-ordered ones (ULIDs, UUIDv7) let the nightly run "
        "read the event-id index only where a night's ids fall, random ones (UUIDv4) make it "
        "read all of it",
    )
    parser.add_argument(
        "--reconciliation-lookback-days",
        type=_count,
        default=defaults.reconciliation_lookback_days,
        help="business days the reconciliation panel asks for "
        "(SALESFLOW_RECONCILIATION_LOOKBACK_DAYS)",
    )
    parser.add_argument(
        "--serving-tasks",
        type=_count,
        default=defaults.serving_tasks,
        help="serving tasks (the serving module's `tasks`); each reads gold's part of the "
        "reconciliation counts once per run",
    )
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument(
        "--prices", type=Path, default=None, help="a price file to use instead of the bundled one"
    )


def run(args: argparse.Namespace) -> int:
    measured = measured_inputs()
    event_bytes = args.event_bytes
    if event_bytes is None:
        event_bytes = (
            round(measured[EVENT_BYTES].value)
            if EVENT_BYTES in measured
            else Workload(events_per_day=1).event_bytes
        )
    else:
        for name in (EVENT_BYTES, *STREAM_BYTES_INPUTS):
            measured.pop(name, None)
    try:
        workload = Workload(
            events_per_day=args.events_per_day,
            event_bytes=event_bytes,
            retention_days=args.retention_days,
            dashboard_queries_per_hour=args.dashboard_queries_per_hour,
            serving_engine=args.serving_engine,
            serving_refresh_seconds=args.serving_refresh_seconds,
            batch_size=args.batch_size,
            batching_window_seconds=args.batching_window_seconds,
            sink=args.sink,
            stream_mode=args.stream_mode,
            stream_retention_hours=args.stream_retention_hours,
            gold_runs_kept=args.gold_runs_kept,
            realtime_dedup_days=args.realtime_dedup_days,
            full_rebuild_every_days=args.full_rebuild_every_days,
            bronze_intelligent_tiering=args.bronze_intelligent_tiering,
            kinesis_compression=args.kinesis_compression,
            event_ids=args.event_ids,
            reconciliation_lookback_days=args.reconciliation_lookback_days,
            serving_tasks=args.serving_tasks,
        )
        prices = load_prices(args.prices)
        result = estimate(workload, prices, assumptions_with(measured))
    except (PriceFileError, ValueError, OSError) as error:
        kind = "price file" if isinstance(error, (PriceFileError, OSError)) else "workload"
        sys.stderr.write(f"salesflow cost: invalid {kind}: {error}\n")
        return 2
    sys.stdout.write(
        as_json(result, measured) if args.format == "json" else as_table(result, measured)
    )
    return 0
