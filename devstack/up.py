"""`salesflow up`: the whole platform on one machine, no AWS account.

Starts the AWS emulator (a moto server), creates the stream, queues, bucket and table with the
names Terraform uses, loads the demo catalog if the lake has none (not with `--no-demo-data`,
which starts empty for a shop's own data), makes the API key at
first start, then runs the ingest API, the speed-layer poller, the serving API and dashboard,
the CSV landing watcher and the simulator as supervised child processes, each logging to
`<state-dir>/logs/`. Before starting anything it runs `salesflow doctor`'s cheap checks and
reports every failure at once. It runs the nightly batch job at 02:30 in the reporting time
zone (`--nightly-at`, `--no-nightly`; off by default against real AWS, whose schedule runs it)
and shows live progress, with the next run's time, until Ctrl-C or SIGTERM; then it stops the
simulator and the API, waits until the poller has landed everything the stream holds, and stops
the rest, emulator last, each by process group so nothing is left running.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from contract.lake import LakeLocation
from contract.settings import Settings, hash_api_key
from contract.structured_logging import JsonFormatter
from devstack.catalog import DEFAULT_SEED, build_catalog, reference_present, write_reference
from devstack.checks import Status, problems, render
from devstack.doctor import cheap_checks
from devstack.endpoints import NotReadyError, emulator_command, wait_until_ready
from devstack.host import install_hint
from devstack.java import RECOMMENDED_MAJOR, find_java
from devstack.nightly import (
    DEFAULT_NIGHTLY_AT,
    NightlySchedule,
    batch_cutoff,
    describe_next_run,
    parse_clock_time,
)
from devstack.processes import ComponentSpec, Supervisor
from devstack.progress import BronzeRowCounter, ProgressProbe
from devstack.resources import bootstrap_resources
from devstack.stack_options import LOOPBACK, StackConfig, add_stack_arguments, stack_config
from devstack.state import StateDir
from ingest_api.key_store import LOCAL_KEYS_FILE, FileKeyStore
from ingest_api.local_key import local_api_key

logger = logging.getLogger(__name__)

LOCAL_KEY_SOURCE = "local"
DEFAULT_BACKFILL_DAYS = 8.0
BACKFILL_RATE = 0.1
"""Events per second of the history a first start sends: 8 days are ~70,000 events, enough for
the dashboard's week-over-week chart, and land within a minute or two on a laptop."""
DEMO_LOSSES = ("--lose", "0.005", "--resend-lost-after", "120")
"""The history's tills lose one event in 200 on the way and resend them two minutes later: the
reconciliation panel shows the gaps found, then closed (docs/reconciliation.md)."""
COMPACTION_SECONDS = 300
"""How often `up` merges the small bronze files of the open and closed hours (AWS: every 10
minutes). Without it a day at a few hundred events a second leaves tens of thousands of files,
and every refresh of the serving process lists them all."""
READY_TIMEOUT_SECONDS = 90.0
DRAIN_TIMEOUT_SECONDS = 60.0
PROGRESS_EVERY_TTY = 2.0
PROGRESS_EVERY_LOG = 15.0
FAKE_AWS_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "salesflow-local",
    "AWS_SECRET_ACCESS_KEY": "salesflow-local",
    "AWS_DEFAULT_REGION": "us-east-1",
}
"""Placeholders boto3 needs to sign requests to the emulator; moto accepts any."""


@dataclass(frozen=True)
class Service:
    """A long-running component: the command module it needs and how to start it."""

    name: str
    module: str
    argv: tuple[str, ...]
    health_path: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser)
    parser.add_argument("--no-simulator", action="store_true", help="start without simulator")
    parser.add_argument(
        "--no-demo-data",
        action="store_true",
        help="start empty, for your own data: no demo catalog, no simulator, no backfill",
    )
    parser.add_argument("--rate", type=float, default=5.0, help="simulator events per second")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="catalog/simulator seed")
    parser.add_argument(
        "--backfill-days",
        type=float,
        default=DEFAULT_BACKFILL_DAYS,
        help="when the lake has no events yet, the simulator first sends this many days of "
        f"history (default {DEFAULT_BACKFILL_DAYS:g}; 0: none)",
    )
    nightly = parser.add_mutually_exclusive_group()
    nightly.add_argument(
        "--nightly-at",
        default=None,
        help=f"run `salesflow batch run` daily at HH:MM in the reporting time zone (default "
        f"{DEFAULT_NIGHTLY_AT}; with --no-emulator only when given: the deployment schedules it)",
    )
    nightly.add_argument("--no-nightly", action="store_true", help="no scheduled batch run")


def run(args: argparse.Namespace) -> int:
    try:
        stack = LocalStack.from_args(args)
    except ValueError as error:
        print(f"salesflow up: {error}", file=sys.stderr)
        return 2
    return stack.run()


class LocalStack:
    def __init__(
        self,
        *,
        config: StackConfig,
        simulator_rate: float | None,
        backfill_days: float,
        seed: int,
        nightly: NightlySchedule | None,
        demo_data: bool = True,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.settings = config.settings
        self.state = StateDir(config.settings.state_dir)
        self.moto_port = config.moto_port
        self.simulator_rate = simulator_rate
        self.backfill_days = backfill_days
        self.seed = seed
        self.nightly = nightly
        self.demo_data = demo_data
        """False: the lake starts empty (no demo catalog), for a shop's own data."""
        self.clock = clock
        """Now, in UTC; tests pass a fake one to reach the nightly run without waiting for it."""
        self.supervisor = Supervisor()
        self.stop_requested = threading.Event()
        self._env: dict[str, str] = {}
        self._next_batch = nightly.next_run(clock()) if nightly else None

    @classmethod
    def from_args(
        cls, args: argparse.Namespace, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> LocalStack:
        config = stack_config(args)
        if args.rate <= 0:
            raise ValueError(f"--rate must be > 0 events per second, got {args.rate}")
        if args.backfill_days < 0:
            raise ValueError(f"--backfill-days must be >= 0, got {args.backfill_days}")
        return cls(
            config=config,
            simulator_rate=None if args.no_simulator or args.no_demo_data else args.rate,
            backfill_days=0.0 if args.no_demo_data else args.backfill_days,
            demo_data=not args.no_demo_data,
            seed=args.seed,
            nightly=_nightly_schedule(args, config.settings),
            clock=clock,
        )

    @property
    def ingest_url(self) -> str:
        return f"http://{LOOPBACK}:{self.settings.ingest_port}"

    @property
    def serve_url(self) -> str:
        return f"http://{LOOPBACK}:{self.settings.serve_port}"

    def run(self) -> int:
        """Start, watch until asked to stop, shut down: whatever happens, nothing stays running."""
        self.state.logs.mkdir(parents=True, exist_ok=True)
        _log_to_file(self.state.log_file("up"))
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stop_requested.set())
        if not self._preflight():
            return 1
        try:
            self._start()
            self._watch()
        except NotReadyError as error:
            if self.stop_requested.is_set():
                return 0
            say(f"salesflow up: {error}")
            return 1
        finally:
            self._shutdown()
        return 0

    def _preflight(self) -> bool:
        """`salesflow doctor`'s cheap checks, all of them before anything starts: a person
        fixes every problem in one go instead of meeting them one restart at a time."""
        checks = cheap_checks(self.config, find_java())
        found = problems(checks)
        blocking = [c for c in found if c.status is Status.FAIL and c.blocks_start]
        if blocking:
            say(f"salesflow up cannot start ({len(blocking)} to fix):\n{render(found)}")
            return False
        if found:
            say(f"salesflow up starts, but note:\n{render(found)}")
        return True

    def _start(self) -> None:
        available, missing = self._available_services()
        for service, reason in missing:
            say(f"  not started: {service.name} (`{service.module}` does not import: {reason})")
        if self.moto_port is not None:
            self._start_emulator(speed_available=any(s.name == "speed" for s in available))
        key = self._api_key()
        self._env = self._child_env(key)
        self._write_env_file()
        self._ensure_reference()
        for service in available:
            self._start_service(service)
        self._banner(key, [s.name for s in available])
        if self.simulator_rate is not None:
            self._start_simulator()

    def _available_services(self) -> tuple[list[Service], list[tuple[Service, str]]]:
        """Every service whose command module imports; the others with the reason they do not."""
        available, missing = [], []
        for service in self._services():
            try:
                importlib.import_module(service.module)
            except Exception as error:  # any import failure means "not available"
                missing.append((service, f"{type(error).__name__}: {error}"))
            else:
                available.append(service)
        return available, missing

    def _services(self) -> list[Service]:
        salesflow = (sys.executable, "-m", "salesflow")
        return [
            Service("ingest-api", "ingest_api.cli", (*salesflow, "api"), "/healthz"),
            Service(
                "speed",
                "speed_layer.cli",
                (*salesflow, "speed", "--consumer", self.config.consumer),
            ),
            Service("serving", "serving.cli", (*salesflow, "serve"), "/healthz"),
            Service(
                "csv-watcher",
                "batch_layer.csv_watcher",
                (sys.executable, "-m", "batch_layer.csv_watcher"),
            ),
            Service(
                "compactor",
                "speed_layer.compaction_cli",
                (*salesflow, "compact", "--open-hours", "--every", str(COMPACTION_SECONDS)),
            ),
        ]

    def _start_emulator(self, *, speed_available: bool) -> None:
        os.environ.update({k: v for k, v in FAKE_AWS_CREDENTIALS.items() if k not in os.environ})
        assert self.moto_port is not None
        emulator = self.supervisor.start(
            ComponentSpec(
                name="aws-emulator",
                argv=emulator_command(LOOPBACK, self.moto_port),
                env=dict(os.environ),
                log_path=self.state.log_file("aws-emulator"),
                restart=False,
            )
        )
        wait_until_ready(
            f"http://{LOOPBACK}:{self.moto_port}/moto-api/",
            timeout=READY_TIMEOUT_SECONDS,
            alive=lambda: emulator.running() and not self.stop_requested.is_set(),
            what="AWS emulator (moto server)",
        )
        bootstrap = bootstrap_resources(self.settings, lake_uri=self.settings.lake_uri)
        if bootstrap.stream_created and speed_available:
            from devstack.drain import forget_stream_checkpoints  # needs the speed layer

            forget_stream_checkpoints(self.settings)
        created = ", ".join(bootstrap.created) or "none, all existed"
        say(f"AWS emulator on http://{LOOPBACK}:{self.moto_port}; resources created: {created}")

    def _api_key(self) -> str:
        key, _, path = local_api_key(self.state.root)
        logger.info("api key ready", extra={"path": str(path)})
        return key

    def _child_env(self, key: str) -> dict[str, str]:
        """Settings travel to children as `SALESFLOW_*` variables, exactly as in production."""
        settings = self.settings
        configured = os.environ.get("SALESFLOW_API_KEYS", "").strip(", ")
        added = FileKeyStore(self.state.root / LOCAL_KEYS_FILE).read().render()  # salesflow keys
        configured = ",".join(part for part in (configured, added) if part)
        local = f"{LOCAL_KEY_SOURCE}:{hash_api_key(key)}"
        env = dict(os.environ)
        java_home = find_java(env).java_home_for_children()
        if java_home is not None:  # Spark would not find this supported Java by itself
            env["JAVA_HOME"] = str(java_home)
        env.update(
            {
                "SALESFLOW_STATE_DIR": str(settings.state_dir),
                "SALESFLOW_LAKE_URI": settings.lake_uri,
                "SALESFLOW_SINK": settings.sink,
                "SALESFLOW_API_KEYS": f"{configured},{local}" if configured else local,
                "SALESFLOW_INGEST_HOST": settings.ingest_host,
                "SALESFLOW_INGEST_PORT": str(settings.ingest_port),
                "SALESFLOW_SERVE_HOST": settings.serve_host,
                "SALESFLOW_SERVE_PORT": str(settings.serve_port),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if settings.aws_endpoint_url:
            env["SALESFLOW_AWS_ENDPOINT_URL"] = settings.aws_endpoint_url
        if self.moto_port is not None:
            # The emulator has the profile table (devstack.resources): nightly runs load it and
            # the API reads it, as in AWS.
            env["SALESFLOW_CUSTOMER_PROFILE_STORE"] = "dynamodb"
        return env

    def _write_env_file(self) -> None:
        """`<state-dir>/env`: `source` it to run any `salesflow` command against this stack.

        It holds the stack's settings, the JAVA_HOME `up` chose for batch runs if it had to, and,
        when the emulator runs, its placeholder credentials; never API keys or real AWS
        credentials.
        """
        placeholders = {
            name: value
            for name, value in FAKE_AWS_CREDENTIALS.items()
            if self.moto_port is not None and self._env.get(name) == value
        }
        settings = {
            name: value
            for name, value in self._env.items()
            if name.startswith("SALESFLOW_") and name != "SALESFLOW_API_KEYS"
        }
        if self._env.get("JAVA_HOME") not in (None, os.environ.get("JAVA_HOME")):
            settings["JAVA_HOME"] = self._env["JAVA_HOME"]
        lines = [
            f"export {name}={shlex.quote(value)}"
            for name, value in sorted((settings | placeholders).items())
        ]
        (self.state.root / "env").write_text("\n".join(lines) + "\n")

    def _ensure_reference(self) -> None:
        if not self.demo_data or reference_present(self.settings.lake_uri, settings=self.settings):
            return
        write_reference(self.settings.lake_uri, build_catalog(self.seed), settings=self.settings)
        say(f"reference data (seed {self.seed}) written to {self.settings.lake_uri}/reference")

    def _start_service(self, service: Service) -> None:
        component = self.supervisor.start(
            ComponentSpec(
                name=service.name,
                argv=service.argv,
                env=self._env,
                log_path=self.state.log_file(service.name),
            )
        )
        if service.health_path is None:
            return
        port = self.settings.serve_port if service.name == "serving" else self.settings.ingest_port
        try:
            wait_until_ready(
                f"http://{LOOPBACK}:{port}{service.health_path}",
                timeout=READY_TIMEOUT_SECONDS,
                alive=lambda: component.running() and not self.stop_requested.is_set(),
                what=service.name,
            )
        except NotReadyError as error:
            raise NotReadyError(f"{error}; its log ends with:\n{component.log_tail()}") from None

    def _start_simulator(self) -> None:
        """The live simulator, and on a lake without events a one-shot backfill of history.

        The backfill is its own job so that a restarted live simulator never sends the history
        twice (its events would have new ids and count again). The two use different seeds so
        the history does not repeat the live baskets.
        """
        assert self.simulator_rate is not None
        simulate = (sys.executable, "-m", "salesflow", "simulate", "--api-url", self.ingest_url)
        lake_is_empty = BronzeRowCounter(self.settings.lake_uri, self.settings).count() == 0
        if self.backfill_days and lake_is_empty:
            say(f"sending {self.backfill_days:g} days of history first (logs/backfill.log)")
            backfill = ["--duration", "0", "--seed", str(self.seed + 1)]
            backfill += ["--backfill-days", str(self.backfill_days)]
            backfill += ["--backfill-rate", str(BACKFILL_RATE)]
            backfill += ["--end-of-day-reports", *DEMO_LOSSES]
            backfill += ["--ledger", str(self.state.backfill_ledger)]
            self.supervisor.start(
                ComponentSpec(
                    name="backfill",
                    argv=(*simulate, *backfill),
                    env=self._env,
                    log_path=self.state.log_file("backfill"),
                    restart=False,
                )
            )
        self.state.simulator_ledger.unlink(missing_ok=True)
        live = ["--rate", str(self.simulator_rate), "--seed", str(self.seed)]
        live += ["--ledger", str(self.state.simulator_ledger), "--end-of-day-reports"]
        self.supervisor.start(
            ComponentSpec(
                name="simulator",
                argv=(*simulate, *live),
                env=self._env,
                log_path=self.state.log_file("simulator"),
            )
        )

    def _banner(self, key: str, services: list[str]) -> None:
        state = self.state.root
        lines = [
            "",
            f"salesflow is up: {', '.join(services)}",
            f"  dashboard        {self.serve_url}/",
            f"  query API docs   {self.serve_url}/docs",
            f"  ingest API docs  {self.ingest_url}/docs",
        ]
        if self.moto_port is not None:
            lines.append(f"  AWS emulator     http://{LOOPBACK}:{self.moto_port} (moto)")
        lines += [
            f"  API key          {key}  (stored in {self.state.api_key_file})",
            f"  lake             {self.settings.lake_uri}",
            f"  logs             {self.state.logs}/",
            f"  other commands   source {state}/env; salesflow batch run",
        ]
        lines.append(f"  nightly batch    {self._nightly_banner()}")
        if not self.demo_data:
            lines += [
                "No demo data: bring your own (docs/adopting.md).",
                "  salesflow reference load products|stores|customers FILE",
                "  salesflow load-csv EXPORT.csv --mapping MAPPING.toml",
                f"  POST your sales to {self.ingest_url}/v1/sales with the API key",
            ]
        lines.append("Ctrl-C stops everything.")
        say("\n".join(lines))

    def _nightly_banner(self) -> str:
        if self.nightly is None:
            return "off (--nightly-at HH:MM schedules it)"
        text = f"{self.nightly.at:%H:%M} {self.nightly.zone.key} daily (--no-nightly: off)"
        if find_java(self._env).best is None:
            text += f"; needs Java {RECOMMENDED_MAJOR}, not found: {install_hint('java')}"
        return text

    def progress_suffix(self, now: datetime) -> str:
        """When the next nightly run is due, for the progress line."""
        if self.nightly is None or self._next_batch is None:
            return ""
        return f" · next batch {describe_next_run(self._next_batch, now, self.nightly.zone)}"

    def _watch(self) -> None:
        probe = ProgressProbe(
            ledger_path=self.state.simulator_ledger if self.simulator_rate else None,
            lake_uri=self.settings.lake_uri,
            settings=self.settings,
            ingest_url=self.ingest_url if "ingest-api" in self.supervisor.components else None,
            serve_url=self.serve_url if "serving" in self.supervisor.components else None,
        )
        interactive = sys.stdout.isatty()
        every = PROGRESS_EVERY_TTY if interactive else PROGRESS_EVERY_LOG
        last_progress = 0.0
        while not self.stop_requested.wait(1.0):
            for event in self.supervisor.check():
                if event.job:
                    say(f"{event.component} finished with exit code {event.exit_code}")
                    continue
                action = "restarted" if event.restarted else "not restarted"
                say(f"{event.component} exited with code {event.exit_code} ({action})")
                if event.component == "aws-emulator":
                    say("the AWS emulator is gone; stopping the stack")
                    return
            now = self.clock()
            self.run_nightly_if_due(now)
            if time.monotonic() - last_progress >= every:
                last_progress = time.monotonic()
                line = probe.read().line() + self.progress_suffix(now)
                print(
                    f"\r{line}   " if interactive else line,
                    end="" if interactive else "\n",
                    flush=True,
                )

    def run_nightly_if_due(self, now: datetime) -> None:
        """Start `salesflow batch run` when the nightly time has come (once per day)."""
        if self.nightly is None or self._next_batch is None or now < self._next_batch:
            return
        self._next_batch = self.nightly.next_run(now)
        if "batch" in self.supervisor.components:
            say("nightly batch skipped: the previous run is still going")
            return
        if find_java(self._env).best is None:
            say(
                f"nightly batch skipped: it needs Java {RECOMMENDED_MAJOR}, which is not "
                f"installed ({install_hint('java')}; `salesflow doctor` checks it)"
            )
            return
        cutoff = batch_cutoff(now, self.settings)
        say(f"nightly batch started with cutoff T = {cutoff.isoformat()}")
        self.supervisor.start(
            ComponentSpec(
                name="batch",
                argv=(
                    sys.executable,
                    "-m",
                    "salesflow",
                    "batch",
                    "run",
                    "--cutoff",
                    cutoff.isoformat(),
                ),
                env=self._env,
                log_path=self.state.log_file("batch"),
                restart=False,
            )
        )

    def _shutdown(self) -> None:
        """Senders first, then let the poller land what the stream holds, the emulator last."""
        say("\nstopping salesflow ...")
        self.supervisor.stop("backfill", timeout=20)
        self.supervisor.stop("simulator", timeout=20)
        self.supervisor.stop("ingest-api")
        if self.moto_port is not None and "speed" in self.supervisor.components:
            say("waiting for the speed layer to land what the stream holds ...")
            self._wait_for_drain()
        for name in ("batch", "csv-watcher", "compactor", "serving", "speed", "aws-emulator"):
            self.supervisor.stop(name)
        self.supervisor.stop_all()
        say(f"salesflow stopped; {self._what_stays()}")

    def _what_stays(self) -> str:
        """Where the state outlives the stack: an S3 lake on the emulator went with it."""
        lake = self.settings.lake_uri
        if LakeLocation.parse(lake).scheme == "file":
            return f"the lake and the API key stay in {self.state.root}"
        if self.moto_port is None:
            return f"the API key stays in {self.state.root}, the lake in {lake}"
        return f"the API key stays in {self.state.root}; the lake {lake} went with the emulator"

    def _wait_for_drain(self) -> None:
        from devstack.drain import is_drained

        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                if is_drained(self.settings, self.settings.sink, self.config.consumer):
                    return
            except Exception:  # an unreachable emulator cannot be drained
                logger.exception("cannot check whether the stream is landed")
                return
            time.sleep(0.5)
        say(
            f"warning: the speed layer had not landed everything after "
            f"{DRAIN_TIMEOUT_SECONDS:.0f}s; events still in the emulator's stream are lost"
        )


def _nightly_schedule(args: argparse.Namespace, settings: Settings) -> NightlySchedule | None:
    """The platform's promise is a nightly rebuild, so the local stack schedules one by default;
    against real AWS (`--no-emulator`) the deployment's own schedule runs it, so only on request.
    """
    if args.no_nightly:
        return None
    at = args.nightly_at or (None if args.no_emulator else DEFAULT_NIGHTLY_AT)
    return NightlySchedule(parse_clock_time(at), settings.reporting_zone) if at else None


def say(text: str) -> None:
    """A line for the person running the stack (the JSON logs go to <state-dir>/logs/up.log)."""
    print(text, flush=True)


def _log_to_file(path: Path) -> None:
    handler = logging.FileHandler(path)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
