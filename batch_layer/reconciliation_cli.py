"""`salesflow reconcile load FILE... [--mapping MAPPING.toml] [--lake URI]`: the tills' end-of-day
(Z) reports exported as CSV, stored as the API stores them (docs/reconciliation.md)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from batch_layer.errors import BatchLayerError
from batch_layer.reconciliation_csv import (
    CONTRACT_ZREPORT_FORMAT,
    ZMapping,
    load_zreports,
    read_zmapping,
)
from contract.lake_io import LakeFiles
from contract.reconciliation import ReportStore
from contract.settings import Settings
from contract.structured_logging import configure_logging


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="action")
    load = actions.add_parser(
        "load",
        help="validate Z-report CSV exports and store their reports",
        description="Each row is one store's (or till's) report for one business day. A file "
        "with any bad row is refused whole, naming each row's file line and column.",
    )
    load.add_argument("files", nargs="+", type=Path, metavar="FILE", help="CSV exports")
    load.add_argument(
        "--mapping",
        type=Path,
        default=None,
        metavar="MAPPING.toml",
        help="how to read the files' columns, codes, numbers and dates "
        "(examples/mappings/erp_reducao_z.toml); without it a file must be in the contract's "
        "own Z-report CSV format",
    )
    load.add_argument("--lake", default=None, help="lake URI; default SALESFLOW_LAKE_URI")


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every file was stored, 1 when a file was refused (nothing of it stored), 2
    when the command itself is wrong (a bad mapping)."""
    configure_logging()
    settings = Settings()
    mapping: ZMapping = CONTRACT_ZREPORT_FORMAT
    if args.mapping is not None:
        try:
            mapping = read_zmapping(args.mapping)
        except BatchLayerError as error:
            print(f"not loaded: {error}", file=sys.stderr)
            return 2
    store = ReportStore(LakeFiles.open(args.lake or settings.lake_uri, settings))
    failed = 0
    for path in args.files:
        try:
            result = load_zreports(path, mapping, store, received_at=datetime.now(UTC))
        except (OSError, BatchLayerError) as error:
            print(f"{path}: not loaded: {error}", file=sys.stderr)
            failed += 1
            continue
        print(
            f"{path}: {result.reports} reports: {result.stored} new, {result.replaced} "
            f"replacing an earlier version, {result.unchanged} unchanged"
        )
    return 1 if failed else 0
