"""`salesflow forget customer CUSTOMER_ID [--lake URI] [--dry-run]`: erase a customer's personal
data from the lake and the stores beside it, keeping the sales (batch_layer/erasure.py).

Prints the request id (the receipt to give the person) and what changed where; never the id
again. `--dry-run` reports what would change and changes nothing. Exit status 0 when done.
"""

from __future__ import annotations

import argparse

from batch_layer.erasure import describe, forget_customer
from contract.settings import settings_with
from contract.structured_logging import configure_logging


def add_arguments(parser: argparse.ArgumentParser) -> None:
    subjects = parser.add_subparsers(dest="subject", required=True, metavar="subject")
    customer = subjects.add_parser(
        "customer", help="pseudonymise a customer everywhere; the sales stay"
    )
    customer.add_argument("customer_id", metavar="CUSTOMER_ID")
    customer.add_argument("--lake", default=None, help="lake URI; default SALESFLOW_LAKE_URI")
    customer.add_argument(
        "--dry-run", action="store_true", help="say what would change; change nothing"
    )


def run(args: argparse.Namespace) -> int:
    configure_logging()
    settings = settings_with(lake_uri=args.lake)
    report = forget_customer(settings, args.customer_id, dry_run=args.dry_run)
    print(describe(report))
    return 0
