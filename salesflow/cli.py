"""`salesflow <command>`: dispatches to the module that owns each command.

Each command module exposes `add_arguments(parser)` and `run(args) -> int`. Modules are imported
only when their command runs, so `salesflow api` never loads Spark and `--help` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    module: str
    summary: str


LOCAL_STACK = "devstack"
"""The package of the local-only commands (`up`, `doctor`, `simulate`, `cost`): in a checkout,
never in the wheel or the images."""

COMMANDS = (
    Command("up", "devstack.up", "run the whole platform locally (moto, API, speed, serving)"),
    Command("doctor", "devstack.doctor", "check this machine can run `up`, with the fix for each"),
    Command("api", "ingest_api.cli", "run the ingest API alone"),
    Command("speed", "speed_layer.cli", "run the speed-layer consumer (local poller)"),
    Command(
        "compact", "speed_layer.compaction_cli", "merge the small bronze files of closed hours"
    ),
    Command("batch", "batch_layer.cli", "the nightly batch job: `salesflow batch run`"),
    Command("serve", "serving.cli", "run the query API and the live dashboard"),
    Command("simulate", "devstack.simulate_cli", "send realistic sales to the ingest API"),
    Command(
        "reference",
        "batch_layer.reference.cli",
        "load, list and roll back your products, stores and customers",
    ),
    Command("load-csv", "batch_layer.csv_cli", "validate and upload legacy CSV exports"),
    Command("keys", "ingest_api.keys_cli", "add, remove and list the ingest API's keys"),
    Command(
        "forget",
        "batch_layer.forget_cli",
        "erase a customer's personal data everywhere (LGPD, GDPR); the sales stay",
    ),
    Command(
        "redrive",
        "speed_layer.redrive",
        "land what a dead-letter queue holds (Kinesis pointers and records, SQS messages)",
    ),
    Command(
        "reconcile",
        "batch_layer.reconciliation_cli",
        "load the tills' end-of-day (Z) reports from CSV exports",
    ),
    Command("cost", "devstack.cost_cli", "estimate the monthly AWS bill"),
)


def _overview() -> str:
    width = max(len(command.name) for command in COMMANDS)
    lines = [f"  {c.name.ljust(width)}  {c.summary}" for c in COMMANDS]
    return "commands:\n" + "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    top = argparse.ArgumentParser(
        prog="salesflow",
        description="Lambda-architecture sales platform.",
        epilog=_overview() + "\n\nRun `salesflow <command> --help` for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("command", choices=[c.name for c in COMMANDS], metavar="command")
    if not arguments or arguments[0] in ("-h", "--help"):
        top.print_help()
        return 0 if arguments else 2
    command = next((c for c in COMMANDS if c.name == arguments[0]), None)
    if command is None:
        top.error(f"unknown command {arguments[0]!r}")
    try:
        module = importlib.import_module(command.module)
    except ModuleNotFoundError as error:
        if error.name != LOCAL_STACK:
            raise
        print(
            f"salesflow {command.name} belongs to the local stack, which this installation does "
            "not include (production images and the wheel ship without it); run it from a "
            f"checkout: `make setup`, then `.venv/bin/salesflow {command.name}`",
            file=sys.stderr,
        )
        return 2
    parser = argparse.ArgumentParser(prog=f"salesflow {command.name}", description=command.summary)
    module.add_arguments(parser)
    args = parser.parse_args(arguments[1:])
    result: int = module.run(args)
    return result
