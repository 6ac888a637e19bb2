"""`salesflow load-csv FILE...`: validate legacy CSV exports and upload them to the lake."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from batch_layer.csv_format import CsvHeaderError
from batch_layer.csv_loader import load_csv
from contract.settings import Settings
from contract.structured_logging import configure_logging


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="CSV exports")
    parser.add_argument(
        "--lake",
        default=None,
        help="lake URI (folder or s3://bucket/prefix); default from settings",
    )


def run(args: argparse.Namespace) -> int:
    """Load every file; exit 1 when any file could not be read at all (its rows stay unloaded)."""
    configure_logging()
    settings = Settings()
    failed = 0
    for path in args.files:
        try:
            result = load_csv(path.name, path.read_bytes(), settings=settings, lake_uri=args.lake)
        except (OSError, CsvHeaderError, UnicodeDecodeError) as error:
            failed += 1
            print(f"{path}: not loaded: {error}", file=sys.stderr)
            continue
        if result.already_loaded:
            print(f"{path}: already loaded as {result.upload_path}, nothing to do")
        else:
            print(
                f"{path}: {result.accepted} rows loaded to {result.upload_path}, "
                f"{result.rejected} quarantined with their reasons"
            )
    return 1 if failed else 0
