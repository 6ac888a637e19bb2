"""`salesflow load-csv FILE... [--mapping MAPPING.toml]`, `salesflow load-csv --pending` and
`salesflow load-csv --dead-letters`: validate CSV exports and upload them to the lake."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from batch_layer.csv_loader import load_csv
from batch_layer.csv_mapping import CONTRACT_FORMAT, ExportMapping, read_mapping
from batch_layer.csv_pending import load_pending
from batch_layer.csv_redrive import redrive_csv_dead_letters
from batch_layer.csv_sources import LocalExport
from batch_layer.errors import BatchLayerError
from contract.settings import Settings, settings_with
from contract.structured_logging import configure_logging


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE", help="CSV exports")
    parser.add_argument(
        "--mapping",
        type=Path,
        default=None,
        metavar="MAPPING.toml",
        help="how to read the files' columns, codes, numbers and times (docs/batch_layer.md, "
        "examples/mappings/); without it a file must be in the contract's own CSV format",
    )
    parser.add_argument(
        "--lake",
        default=None,
        help="lake URI (folder or s3://bucket/prefix); default from settings",
    )
    parser.add_argument(
        "--pending",
        action="store_true",
        help="also load the landed exports the CSV Lambda left to the batch side as too large "
        "(bronze/csv_pending/; the nightly job does this before each run)",
    )
    parser.add_argument(
        "--dead-letters",
        action="store_true",
        help="also load again the landed exports whose CSV Lambda invocations failed "
        "(SALESFLOW_CSV_DEAD_LETTER_QUEUE_NAME); each message is deleted once its export loads",
    )


def run(args: argparse.Namespace) -> int:
    """Load every file; exit 1 when any file could not be read at all (its rows stay unloaded),
    2 when the command itself is wrong (no file, a bad mapping)."""
    configure_logging()
    settings = Settings()
    if not args.files and not args.pending and not args.dead_letters:
        print("give at least one FILE, --pending or --dead-letters", file=sys.stderr)
        return 2
    mapping: ExportMapping = CONTRACT_FORMAT
    if args.mapping is not None:
        try:
            mapping = read_mapping(args.mapping)
        except BatchLayerError as error:
            print(f"not loaded: {error}", file=sys.stderr)
            return 2
    lake_uri = args.lake or settings.lake_uri
    failed = sum(not _load(path, mapping, lake_uri, settings) for path in args.files)
    if args.pending:
        for outcome in load_pending(lake_uri, settings=settings):
            stream = sys.stdout if outcome.loaded else sys.stderr
            verdict = outcome.detail if outcome.loaded else f"not loaded: {outcome.detail}"
            print(f"{outcome.key} (pending): {verdict}", file=stream)
            failed += not outcome.loaded
    if args.dead_letters:
        for redriven in redrive_csv_dead_letters(settings_with(lake_uri=lake_uri)):
            stream = sys.stdout if redriven.done else sys.stderr
            print(f"{', '.join(redriven.keys)} (dead letter): {redriven.detail}", file=stream)
            failed += not redriven.done
    return 1 if failed else 0


def _load(path: Path, mapping: ExportMapping, lake_uri: str, settings: Settings) -> bool:
    try:
        result = load_csv(LocalExport(path), settings=settings, mapping=mapping, lake_uri=lake_uri)
    except (OSError, BatchLayerError) as error:
        print(f"{path}: not loaded: {error}", file=sys.stderr)
        return False
    if result.already_loaded:
        print(f"{path}: already loaded ({result.record_path}), nothing to do")
        return True
    parts = len(result.upload_parts)
    where = f"bronze/csv_uploads/{result.sha256}-*.csv ({parts} part{'s' * (parts != 1)})"
    print(
        f"{path}: {result.accepted} rows loaded to {where}, "
        f"{result.rejected} quarantined with their reasons"
    )
    return True
