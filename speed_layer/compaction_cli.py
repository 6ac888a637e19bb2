"""`salesflow compact`: merge the small bronze files of every closed hour (run it hourly), and
with `--open-hours` of the hours still open too (run it every few minutes: AWS runs it every
10 minutes, so a dashboard query reads a few files per hour instead of one per landed batch).
`--every SECONDS` repeats the run until SIGTERM, as `salesflow up` runs it: a scheduler of its
own where there is no EventBridge."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime, timedelta

from contract.lake import bronze_partition
from contract.lake_io import WRITE_ERRORS, LakeFiles
from contract.settings import Settings
from contract.structured_logging import configure_logging
from speed_layer.compaction import (
    DEFAULT_GRACE,
    DEFAULT_LOOKBACK,
    OPEN_HOUR_SETTLE,
    TARGET_FILE_BYTES,
    closed_hours,
    compact_hour,
    open_hours,
)
from speed_layer.shutdown import stop_on_signals

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lake", help="lake URI, a folder or s3://bucket/prefix (SALESFLOW_LAKE_URI)"
    )
    parser.add_argument(
        "--hour",
        type=_utc_hour,
        help="compact only this UTC ingest hour, e.g. 2026-11-21T13 (default: every closed hour)",
    )
    parser.add_argument(
        "--open-hours",
        action="store_true",
        help="also merge what has landed so far in the hours not closed yet",
    )
    parser.add_argument(
        "--grace-minutes",
        type=float,
        default=DEFAULT_GRACE.total_seconds() / 60,
        help="an hour is closed this long after it ends (default: %(default)s)",
    )
    parser.add_argument(
        "--lookback-hours",
        type=float,
        default=DEFAULT_LOOKBACK.total_seconds() / 3600,
        help="look for closed hours this far back (default: %(default)s)",
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=OPEN_HOUR_SETTLE.total_seconds(),
        help="leave an open hour's files younger than this to the next run (default: %(default)s)",
    )
    parser.add_argument(
        "--every",
        type=float,
        metavar="SECONDS",
        help="repeat the run every SECONDS until stopped (default: run once)",
    )
    parser.add_argument(
        "--target-mb",
        type=float,
        default=TARGET_FILE_BYTES / 2**20,
        help="merge small files into files of at least this size (default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    configure_logging()
    try:
        settings = Settings()
        lake = LakeFiles.open(args.lake or settings.lake_uri, settings)
    except ValueError as error:
        logger.error("invalid settings: %s", error)
        return 2
    if args.every is not None and (args.hour is not None or args.every <= 0):
        logger.error("--every takes a positive number of seconds, and cannot repeat --hour")
        return 2
    if args.every is None:
        return _compact_once(lake, args)
    stop = stop_on_signals()
    while not stop.is_set():
        try:
            _compact_once(lake, args)
        except WRITE_ERRORS:
            logger.exception("compaction failed; the hours stay as they are until the next run")
        stop.wait(args.every)
    return 0


def _compact_once(lake: LakeFiles, args: argparse.Namespace) -> int:
    grace = timedelta(minutes=args.grace_minutes)
    now = datetime.now(UTC)
    if args.hour is not None:
        if args.hour + timedelta(hours=1) + grace > now:
            logger.error("hour %s is not closed yet; retry after its end plus the grace", args.hour)
            return 2
        hours = [bronze_partition(args.hour)]
    else:
        hours = closed_hours(lake, now, grace, timedelta(hours=args.lookback_hours))
    still_open = open_hours(now, grace) if args.open_hours and args.hour is None else []
    target = int(args.target_mb * 2**20)
    settle = timedelta(seconds=args.settle_seconds)
    compacted = [
        result
        for hour, wait in [*((h, timedelta(0)) for h in hours), *((h, settle) for h in still_open)]
        if (result := compact_hour(lake, hour, target, now=now, settle=wait))
    ]
    opened = f" and {len(still_open)} open" if still_open else ""
    print(
        f"compacted {len(compacted)} of {len(hours)} closed{opened} hours: "
        f"{sum(r.inputs for r in compacted)} files into {sum(r.outputs for r in compacted)}",
        flush=True,
    )
    return 0


def _utc_hour(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a UTC hour like 2026-11-21T13"
        ) from None
