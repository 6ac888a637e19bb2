"""The options `salesflow up` and `salesflow doctor` share: where the stack keeps its state and
where each component listens, so `doctor` checks exactly what `up` with the same options needs."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from contract.lake import LakeLocation
from contract.settings import Settings

LOOPBACK = "127.0.0.1"
DEFAULT_MOTO_PORT = 4566


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir", type=Path, default=None, help="state folder (default .salesflow)"
    )
    parser.add_argument(
        "--lake", default=None, help="lake URI (default <state-dir>/lake, or SALESFLOW_LAKE_URI)"
    )
    parser.add_argument(
        "--sink", choices=["kinesis", "sqs"], default=None, help="stream the events go through"
    )
    parser.add_argument(
        "--consumer",
        choices=["poller", "kcl"],
        default="poller",
        help="speed-layer consumer of the Kinesis stream: the local poller, or the KCL "
        "MultiLangDaemon (Java; its jars come with `make test`, or `python -m devstack.jars fetch "
        "kcl`)",
    )
    parser.add_argument("--moto-port", type=int, default=DEFAULT_MOTO_PORT)
    parser.add_argument("--ingest-port", type=int, default=None, help="default 8000")
    parser.add_argument("--serve-port", type=int, default=None, help="default 8080")
    parser.add_argument(
        "--no-emulator",
        action="store_true",
        help="use the endpoints and resources the SALESFLOW_* settings name (real AWS)",
    )


@dataclass(frozen=True)
class StackConfig:
    """The settings every component of the stack gets, and the emulator's port (None: none)."""

    settings: Settings
    moto_port: int | None
    consumer: str = "poller"
    """`salesflow speed --consumer`: `poller` or `kcl` (Kinesis only)."""

    def ports(self) -> list[tuple[str, int, str]]:
        """(component, port, option that moves it) for every server the stack starts."""
        ports = [
            ("ingest API", self.settings.ingest_port, "--ingest-port"),
            ("serving API", self.settings.serve_port, "--serve-port"),
        ]
        if self.moto_port is not None:
            ports.insert(0, ("AWS emulator", self.moto_port, "--moto-port"))
        return ports


def stack_config(args: argparse.Namespace) -> StackConfig:
    """Settings from the environment with the options on top; ValueError names a bad option."""
    base = Settings()
    state_dir: Path = (args.state_dir or base.state_dir).resolve()
    lake = args.lake or os.environ.get("SALESFLOW_LAKE_URI") or str(state_dir / "lake")
    LakeLocation.parse(lake)
    moto_port = None if args.no_emulator else args.moto_port
    overrides: dict[str, object] = {
        "state_dir": state_dir,
        "lake_uri": lake,
        "sink": args.sink or (base.sink if base.sink != "memory" else "kinesis"),
        "ingest_host": LOOPBACK,
        "serve_host": LOOPBACK,
        "ingest_port": args.ingest_port or base.ingest_port,
        "serve_port": args.serve_port or base.serve_port,
    }
    if moto_port is not None:
        overrides["aws_endpoint_url"] = f"http://{LOOPBACK}:{moto_port}"
    if args.consumer == "kcl" and overrides["sink"] != "kinesis":
        raise ValueError("--consumer kcl reads the Kinesis stream: drop --sink sqs")
    return StackConfig(
        settings=base.model_copy(update=overrides), moto_port=moto_port, consumer=args.consumer
    )
