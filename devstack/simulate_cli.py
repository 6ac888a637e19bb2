"""`salesflow simulate`: send realistic sales to the ingest API and keep a ledger of them."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from contract.settings import Settings
from contract.structured_logging import configure_logging
from devstack.catalog import DEFAULT_SEED
from devstack.simulator.client import ApiKeyRefusedError, RetryPolicy
from devstack.simulator.ledger import Ledger
from devstack.simulator.runner import Simulation, SimulationConfig
from devstack.state import StateDir

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rate", type=float, default=5.0, help="average events per second (default 5)"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds to run live (default: until Ctrl-C; 0: only the backfill)",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="random seed for a reproducible run"
    )
    parser.add_argument(
        "--api-url", default=None, help="ingest API base URL (default: from SALESFLOW_INGEST_*)"
    )
    parser.add_argument(
        "--api-key", default=None, help="API key (default: the one in <state-dir>/api-key)"
    )
    parser.add_argument("--state-dir", type=Path, default=None, help="default SALESFLOW_STATE_DIR")
    parser.add_argument(
        "--ledger", type=Path, default=None, help="write the ledger of acknowledged events here"
    )
    parser.add_argument(
        "--flat",
        action="store_true",
        help="constant rate instead of the daily and weekly rhythm (tests, benchmarks)",
    )
    parser.add_argument(
        "--backfill-days",
        type=float,
        default=0.0,
        help="first send this many past days of history (default 0: none)",
    )
    parser.add_argument(
        "--backfill-rate",
        type=float,
        default=0.2,
        help="average events per second of the history (default 0.2)",
    )
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument(
        "--batch-size", type=int, default=100, help="most events in one batch POST (max 500)"
    )
    parser.add_argument(
        "--end-of-day-reports",
        action="store_true",
        help="send each till's end-of-day report (POST /v1/reconciliations) once its business "
        "day has ended, for the days this run covers (docs/reconciliation.md)",
    )
    parser.add_argument(
        "--lose",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="lose this share of events on the way (e.g. 0.02): their till counts them, they "
        "are not sent, so the end-of-day reports show them missing",
    )
    parser.add_argument(
        "--max-attempts",
        type=int,
        default=RetryPolicy().max_attempts,
        help="sends of a request before its events count as unconfirmed (default "
        f"{RetryPolicy().max_attempts}, about 10 s of backoff); raise it to ride out a restart",
    )
    parser.add_argument(
        "--resend-lost-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="send each lost event after all this many seconds later, closing the gap "
        "(default: never); the run waits for them before it ends",
    )


def run(args: argparse.Namespace) -> int:
    configure_logging()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = Settings()
    state = StateDir(args.state_dir or settings.state_dir)
    try:
        config = SimulationConfig(
            api_url=args.api_url or f"http://{settings.ingest_host}:{settings.ingest_port}",
            api_key=args.api_key or state.read_api_key(),
            rate=args.rate,
            duration=args.duration,
            seed=args.seed,
            flat=args.flat,
            concurrency=args.concurrency,
            batch_size=args.batch_size,
            reporting_tz=settings.reporting_tz,
            ledger_path=args.ledger,
            backfill_days=args.backfill_days,
            backfill_rate=args.backfill_rate,
            end_of_day_reports=args.end_of_day_reports,
            lose=args.lose,
            resend_lost_after=args.resend_lost_after,
            retry=RetryPolicy(max_attempts=args.max_attempts),
        )
    except (ValueError, FileNotFoundError) as error:
        logger.error("cannot start the simulator: %s", error)
        return 2
    try:
        ledger = asyncio.run(_simulate(config))
    except ApiKeyRefusedError as error:
        logger.error("%s", error)
        return 2
    if ledger.rejected or ledger.unconfirmed_ids:
        logger.error(
            "some events were not acknowledged",
            extra={"rejected": len(ledger.rejected), "unconfirmed": len(ledger.unconfirmed_ids)},
        )
        return 1
    return 0


async def _simulate(config: SimulationConfig) -> Ledger:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return await Simulation(config).run(stop)
