"""`salesflow reference load|schema|history|rollback`: a shop's own products, stores, customers."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from batch_layer.errors import BatchLayerError
from batch_layer.reference.files import read_reference_file
from batch_layer.reference.versions import load_version, read_manifest, rollback
from contract.lake_io import LakeFiles
from contract.reference import REFERENCE_TABLES, ReferenceTable, reference_table
from contract.settings import Settings
from contract.structured_logging import configure_logging


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="action")
    tables = list(REFERENCE_TABLES)

    load = actions.add_parser("load", help="validate a file and load it as a new version")
    load.add_argument("table", choices=tables)
    load.add_argument("file", type=Path, help="CSV (comma or semicolon), Parquet or JSON Lines")
    load.add_argument(
        "--effective-from",
        default=None,
        help="when the rows take effect: a date (midnight in SALESFLOW_REPORTING_TZ) or an ISO "
        "timestamp with offset; default now. A key's first version also covers earlier sales",
    )
    load.add_argument(
        "--decimal-separator",
        choices=(".", ","),
        default=".",
        help="',' for money written like 1.234,56",
    )
    _lake_argument(load)

    schema = actions.add_parser("schema", help="print the expected columns and an example row")
    schema.add_argument("table", choices=tables)

    history = actions.add_parser("history", help="list the loaded versions")
    history.add_argument("table", choices=tables)
    _lake_argument(history)

    back = actions.add_parser("rollback", help="make an earlier version current again")
    back.add_argument("table", choices=tables)
    back.add_argument("version", type=int)
    _lake_argument(back)


def run(args: argparse.Namespace) -> int:
    configure_logging()
    settings = Settings()
    table = reference_table(args.table)
    if args.action == "schema":
        print(describe_schema(table))
        return 0
    lake = LakeFiles.open(args.lake or settings.lake_uri, settings)
    try:
        if args.action == "load":
            return _load(args, table, lake, settings)
        if args.action == "history":
            print(describe_history(lake, table))
            return 0
        manifest = rollback(lake, table, args.version)
    except BatchLayerError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{table.name}: version {manifest.current()} is current")
    return 0


def parse_effective_from(value: str | None, zone: ZoneInfo) -> datetime:
    """A date means its midnight in the reporting zone; a timestamp needs its offset."""
    if value is None:
        return datetime.now(UTC)
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=zone)
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise BatchLayerError(
            f"--effective-from {value!r}: use a date (2026-03-01) or a timestamp with offset "
            "(2026-03-01T00:00:00-03:00)"
        ) from error
    if moment.tzinfo is None:
        raise BatchLayerError(f"--effective-from {value!r} has no offset, e.g. {value}-03:00")
    return moment


def describe_schema(table: ReferenceTable) -> str:
    required = {name for name, info in table.model.model_fields.items() if info.is_required()}
    lines = [f"{table.name}: one row per {table.key}", ""]
    for field in table.schema():
        need = "required" if field.name in required else "optional"
        lines.append(f"  {field.name:<20} {field.type!s:<16} {need}")
    header = ",".join(table.example)
    example = ",".join(_csv_cell(value) for value in table.example.values())
    return "\n".join([*lines, "", "example CSV:", header, example])


def describe_history(lake: LakeFiles, table: ReferenceTable) -> str:
    manifest = read_manifest(lake, table)
    if not manifest.versions:
        return (
            f"{table.name}: no versions loaded; "
            f"salesflow reference load {table.name} FILE (see `salesflow reference schema`)"
        )
    current = manifest.current()
    lines = [f"{'version':>7}  {'effective_from':<25} {'loaded_at':<25} {'rows':>8}  file"]
    for version in manifest.versions:
        state = (
            "current"
            if version.version == current
            else "rolled back"
            if version.rolled_back_at
            else ""
        )
        lines.append(
            f"{version.version:>7}  {version.effective_from.isoformat():<25} "
            f"{version.loaded_at.isoformat(timespec='seconds'):<25} {version.rows:>8}  "
            f"{version.file_name}  {state}".rstrip()
        )
    return "\n".join(lines)


def _load(
    args: argparse.Namespace, table: ReferenceTable, lake: LakeFiles, settings: Settings
) -> int:
    effective_from = parse_effective_from(args.effective_from, settings.reporting_zone)
    rows = read_reference_file(args.file, table, decimal_separator=args.decimal_separator)
    outcome = load_version(
        lake, table, rows, effective_from=effective_from, file_name=args.file.name
    )
    if outcome.already_loaded:
        print(
            f"{args.file}: same rows already loaded as {table.name} version "
            f"{outcome.version.version}, nothing to do"
        )
    else:
        print(
            f"{args.file}: {outcome.version.rows} {table.name} loaded as version "
            f"{outcome.version.version}, effective from "
            f"{outcome.version.effective_from.isoformat()} "
            f"({outcome.effective_rows} rows in the effective table)"
        )
    return 0


def _lake_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", default=None, help="lake URI; default SALESFLOW_LAKE_URI")


def _csv_cell(value: str) -> str:
    return f'"{value}"' if "," in value else value
