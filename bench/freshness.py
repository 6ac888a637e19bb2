"""End-to-end freshness: under a sustained event rate through `salesflow up`, how long after the
ingest API's 202 `/v1/metrics/sales` counts a sale.

Starts the local stack (`bench.freshness_stack`: `salesflow up --no-emulator --no-simulator
--no-nightly` with the ingest API, speed-layer poller and serving API on DuckDB, on free ports
with a state folder of its own, against an emulator of its own), then for
`--minutes` (default 60) at once:

- the load: the demo simulator (`devstack.simulator`, flat rhythm) at `--rate` events per second
  (default 300, about 1M an hour) through the ingest API; it paces itself by the clock and, when
  the API is slower, falls behind rather than bursting, so the rate is what the API took (sent
  and acknowledged per second, per minute);
- the probe (`bench.freshness_probe`): one sale at a time to a store of its own, timed from its
  202 until the query API counts it (polled every 100 ms, as a dashboard would ask, through the
  API's cache: `SALESFLOW_SERVING_CACHE_SECONDS`, default 3 s, or `--cache-seconds`);
- once a second: the CPU (% of one core) and RSS of the serving process, the CPU of the other
  components and of this process (the load generator), and the machine's load average.

Then, with the stack stopped, the dashboard's today queries over the run's real-time lines
against the same queries over as many gold lines (`bench.freshness_queries`), and the bronze
bytes a dashboard refresh reads since T at the run's volume (`bench.freshness_scan`).

Targets (issue 18): p99 of 202-to-counted under 2 s over the whole run; today's query p95 at
most 1.5 times the gold-only p95. Per-minute figures are `minute NN: ...`.
Results: `bench/results/freshness.json`. Run: `.venv/bin/python -m bench.freshness` (the load's
hour and about 10 minutes more); `--minutes 3` for a short run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench import serving as serving_bench
from bench.freshness_monitor import Monitor, Tick, stack_processes
from bench.freshness_probe import Probe, ProbeSample
from bench.freshness_queries import today_query_figures
from bench.freshness_scan import BronzeScan, bronze_scan
from bench.freshness_stack import Stack, running_stack
from bench.results_file import Figure, figure, write_results
from devstack.catalog import DEFAULT_SEED, build_catalog
from devstack.simulator.runner import Simulation, SimulationConfig

P99_TARGET_MS = 2000.0
PROBE_TIMEOUT = 120.0
MIB = 1024**2


class Load:
    """The simulator in a thread and event loop of its own, which the caller can stop early."""

    def __init__(self, simulation: Simulation) -> None:
        self._simulation = simulation
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self.thread = threading.Thread(target=self._run, name="load")

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._simulation.run(self._stop))
        finally:
            self._loop.close()

    def stop(self) -> None:
        """Ask the simulator to stop (it waits for the requests in flight); a no-op once done."""
        with contextlib.suppress(RuntimeError):  # the loop has closed: the run is over
            self._loop.call_soon_threadsafe(self._stop.set)


@dataclass(frozen=True)
class Measured:
    samples: list[ProbeSample]
    ticks: list[Tick]
    probe_refused: int
    """Probe posts the ingest API answered 503 or 429."""
    probe_query_errors: int
    """Probe polls the query API did not answer 200."""
    load_retries: int
    """Requests of the load generator sent again after a 503, 429 or lost answer."""


def measure(stack: Stack, args: argparse.Namespace) -> Measured:
    """The load, the probe and the monitor together for `args.minutes`."""
    started = time.monotonic()
    config = SimulationConfig(
        api_url=stack.ingest_url,
        api_key=stack.api_key,
        rate=args.rate,
        duration=args.minutes * 60,
        flat=True,
        concurrency=args.concurrency,
    )
    simulation = Simulation(config)
    load = Load(simulation)
    probe = Probe(
        stack.ingest_url,
        stack.serve_url,
        stack.api_key,
        serving_bench.TZ,
        started=started,
        timeout_seconds=PROBE_TIMEOUT,
    )
    stop_probe = threading.Event()
    prober = threading.Thread(target=probe.run, args=(stop_probe,), name="probe")
    stats = simulation.ledger.stats
    monitor = Monitor(
        stack_processes(stack.up.pid, stack.emulator.pid),
        lambda: (stats.events_sent, stats.acknowledged),
        started,
    )
    monitor.tick()
    load.thread.start()
    prober.start()
    printed = 0
    try:
        while load.thread.is_alive():
            tick = monitor.tick()
            if tick.at >= printed * 60:
                printed += 1
                print(progress(tick, probe.samples), flush=True)
            time.sleep(1.0 - (time.monotonic() - started) % 1.0)
    finally:
        load.stop()
        stop_probe.set()
        prober.join()
        load.thread.join()
    if probe.failure is not None:
        raise RuntimeError("the freshness probe failed") from probe.failure
    monitor.tick()
    return Measured(
        probe.samples,
        monitor.ticks,
        probe.refused,
        probe.query_errors,
        simulation.ledger.stats.retries,
    )


def progress(tick: Tick, samples: list[ProbeSample]) -> str:
    counted = [s.counted_after for s in samples if s.counted_after is not None]
    recent = counted[-30:]
    return (
        f"{tick.at / 60:5.1f} min: {tick.acknowledged:,} events acknowledged, "
        f"{len(samples)} probes, last 30 max {max(recent, default=0):.2f} s, "
        f"load {tick.load_average:.2f}"
    )


def freshness_figures(samples: list[ProbeSample], prefix: str, target: bool) -> list[Figure]:
    """Percentiles of 202-to-counted; a probe not counted within the timeout counts as the
    timeout (so its true value is higher)."""
    missed = sum(1 for s in samples if s.counted_after is None)
    figures = [
        figure(
            f"{prefix}probes (not counted within {PROBE_TIMEOUT:g} s: {missed})",
            len(samples),
            "probes",
        )
    ]
    if not samples:
        return figures
    counted = (
        np.array(
            [s.counted_after if s.counted_after is not None else PROBE_TIMEOUT for s in samples]
        )
        * 1000
    )
    p50, p95, p99 = (float(value) for value in np.percentile(counted, [50, 95, 99]))
    figures += [
        figure(f"{prefix}202-to-counted p50", p50, "ms"),
        figure(f"{prefix}202-to-counted p95", p95, "ms"),
        figure(
            f"{prefix}202-to-counted p99",
            p99,
            "ms",
            target=f"< {P99_TARGET_MS:g}" if target else None,
        ),
        figure(f"{prefix}202-to-counted max", float(counted.max()), "ms"),
    ]
    return figures


def computed_figures(samples: list[ProbeSample]) -> list[Figure]:
    """From the 202 to the `as_of` of the answer that first counted it: without the time that
    answer waited in the API's cache."""
    computed = [s.computed_after * 1000 for s in samples if s.computed_after is not None]
    if not computed:
        return []
    p50, p99 = (float(value) for value in np.percentile(computed, [50, 99]))
    return [
        figure("202-to-counting answer computed p50 (the rest is cache)", p50, "ms"),
        figure("202-to-counting answer computed p99 (the rest is cache)", p99, "ms"),
    ]


def during_load(ticks: list[Tick], minutes: float) -> list[Tick]:
    """The ticks while the load ran: not the tail where the simulator resends what the API did
    not take before it stops, which would understate the rate."""
    return [tick for tick in ticks if tick.at <= minutes * 60 + 1]


def rate_figures(ticks: list[Tick], prefix: str, requested: float) -> list[Figure]:
    first, last = ticks[0], ticks[-1]
    seconds = last.at - first.at
    sent = (last.sent - first.sent) / seconds
    acknowledged = (last.acknowledged - first.acknowledged) / seconds
    serving_cpu = (last.cpu_seconds["serving"] - first.cpu_seconds["serving"]) / seconds * 100
    return [
        figure(f"{prefix}events sent per second", sent, "events/s", requested),
        figure(f"{prefix}distinct events acknowledged per second", acknowledged, "events/s"),
        figure(f"{prefix}serving CPU", serving_cpu, "% of a core"),
        figure(f"{prefix}serving RSS max", max(t.serving_rss for t in ticks) / MIB, "MiB"),
        figure(f"{prefix}load average (1 min) max", max(t.load_average for t in ticks), "load"),
    ]


def scan_figures(scan: BronzeScan) -> list[Figure]:
    """The bronze a refresh reads since T at the run's volume (the cost model's Athena scan)."""
    events = max(scan.events, 1)
    return [
        figure("bronze events since T at the end", scan.events, "events"),
        figure("bronze files since T, as landed", scan.landed.count, "files"),
        figure("bronze MiB since T, as landed", scan.landed.bytes / MIB, "MiB"),
        figure("bronze bytes per event, as landed", scan.landed.bytes / events, "bytes"),
        figure("bronze files since T, hours compacted", scan.compacted.count, "files"),
        figure("bronze MiB since T, hours compacted", scan.compacted.bytes / MIB, "MiB"),
        figure("bronze bytes per event, hours compacted", scan.compacted.bytes / events, "bytes"),
    ]


def component_figures(ticks: list[Tick]) -> list[Figure]:
    first, last = ticks[0], ticks[-1]
    seconds = last.at - first.at
    return [
        figure(
            f"CPU of {name}",
            (last.cpu_seconds[name] - first.cpu_seconds[name]) / seconds * 100,
            "% of a core",
        )
        for name in sorted(last.cpu_seconds)
        if name != "serving"
    ]


def per_minute(samples: list[ProbeSample], ticks: list[Tick], requested: float) -> list[Figure]:
    figures = []
    for minute in range(int(ticks[-1].at // 60)):
        start, end = minute * 60, (minute + 1) * 60
        window = [t for t in ticks if start <= t.at <= end]
        if end > ticks[-1].at:  # the last, partial minute
            continue
        prefix = f"minute {minute + 1:02d}: "
        in_minute = [s for s in samples if start <= s.acknowledged_at < end]
        figures += freshness_figures(in_minute, prefix, target=False)[1:]
        figures += rate_figures(window, prefix, requested)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the load")
    parser.add_argument("--rate", type=float, default=300.0, help="events per second")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--repeats", type=int, default=20, help="runs of each query")
    parser.add_argument(
        "--sink",
        choices=["sqs", "kinesis"],
        default="kinesis",
        help="the stream between the ingest API and the speed layer",
    )
    parser.add_argument(
        "--cache-seconds", type=float, default=None, help="SALESFLOW_SERVING_CACHE_SECONDS"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-freshness-") as scratch_name:
        scratch = Path(scratch_name)
        with running_stack(
            scratch,
            sink=args.sink,
            reporting_tz=serving_bench.TZ.key,
            cache_seconds=args.cache_seconds,
        ) as stack:
            measured = measure(stack, args)
        lake = stack.state / "lake"
        scan = bronze_scan(lake, serving_bench.TZ.key)
        catalog = build_catalog(DEFAULT_SEED)
        queries = today_query_figures(
            lake, scratch, args.repeats, len(catalog.stores), len(catalog.products)
        )
    samples, ticks = measured.samples, measured.ticks
    figures = [
        figure("run length", ticks[-1].at / 60, "minutes"),
        figure("load average (1 min) before the stack started", load_before, "load"),
        *freshness_figures(samples, "", target=True),
        *computed_figures(samples),
        figure("probe posts refused (503/429) and resent", measured.probe_refused, "posts"),
        figure("probe polls not answered 200", measured.probe_query_errors, "polls"),
        figure("load generator requests resent", measured.load_retries, "requests"),
        *rate_figures(during_load(ticks, args.minutes), "", args.rate),
        *component_figures(ticks),
        *scan_figures(scan),
        *queries,
        *per_minute(samples, ticks, args.rate),
    ]
    write_results("freshness", figures)


def _stop_on_sigterm(*_: object) -> None:
    """Unwind as Ctrl-C does, so the stack is stopped rather than left running."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
