"""Soak: steady simulated traffic through `salesflow up` for 20 minutes, watching for what only
shows over time: memory that keeps growing, freshness that drifts.

The stack, the load and the freshness probe are the freshness benchmark's (`bench.freshness`:
`salesflow up --no-emulator` on free ports, the demo simulator at `--rate`, one probe sale at a
time timed from its 202 until `/v1/metrics/sales` counts it). On top, every 5 s, the RSS of every
process: the emulator, the ingest API, the speed consumer, the serving process and this one (the
load generator, whose ledger keeps a bounded window of ids).

Targets: after `--warmup-minutes`, each component's RSS grows less than 10% (median of the
minute after the warm-up against the median of the last minute), and the 202-to-counted p99 of
every minute stays under 2 s. Results: bench/results/soak.json and the plot
docs/images/soak.svg. Run: `.venv/bin/python -m bench.soak` (about 22 minutes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from bench import serving as serving_bench
from bench.freshness import P99_TARGET_MS, freshness_figures, measure, rate_figures
from bench.freshness_monitor import stack_processes
from bench.freshness_probe import ProbeSample
from bench.freshness_stack import running_stack
from bench.results_file import Figure, figure, write_results
from bench.soak_plot import Series, write_plot

MIB = 1024**2
GROWTH_TARGET = "< 1.10"
PLOT = Path(__file__).resolve().parent.parent / "docs" / "images" / "soak.svg"


@dataclass(frozen=True)
class MemorySample:
    at: float
    """Seconds since the run's start."""
    rss: dict[str, int]


class MemoryWatch:
    """Samples every process's RSS in a thread of its own until stopped."""

    def __init__(self, processes: dict[str, psutil.Process], started: float) -> None:
        self._processes = processes
        self._started = started
        self._stop = threading.Event()
        self.samples: list[MemorySample] = []
        self._thread = threading.Thread(target=self._run, name="memory", daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = {}
            for name, process in self._processes.items():
                try:
                    rss[name] = process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.samples.append(MemorySample(time.monotonic() - self._started, rss))
            self._stop.wait(5)


def memory_figures(samples: list[MemorySample], warmup_minutes: float) -> list[Figure]:
    warm, end = warmup_minutes * 60, samples[-1].at
    figures = []
    for name in sorted(samples[0].rss):
        after_warmup = _median(samples, name, warm, warm + 60)
        last_minute = _median(samples, name, end - 60, end)
        figures.append(
            figure(
                f"{name} RSS, last minute vs the minute after the warm-up",
                last_minute / MIB,
                "MiB",
                after_warmup / MIB,
                GROWTH_TARGET,
            )
        )
    return figures


def _median(samples: list[MemorySample], name: str, start: float, end: float) -> float:
    values = [s.rss[name] for s in samples if start <= s.at <= end and name in s.rss]
    return statistics.median(values) if values else float("nan")


def minute_p99s(samples: list[ProbeSample], minutes: int) -> list[float]:
    """The 202-to-counted p99 of each whole minute, in ms (a probe not counted: the timeout)."""
    p99s = []
    for minute in range(minutes):
        in_minute = [s for s in samples if minute * 60 <= s.acknowledged_at < (minute + 1) * 60]
        figures = freshness_figures(in_minute, "", target=False)
        p99s += [f.value for f in figures if f.metric == "202-to-counted p99"]
    return p99s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="length of the load")
    parser.add_argument("--warmup-minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=100.0, help="events per second")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="bench-soak-") as scratch,
        running_stack(
            Path(scratch), sink="kinesis", reporting_tz=serving_bench.TZ.key, cache_seconds=None
        ) as stack,
    ):
        processes = stack_processes(stack.up.pid, stack.emulator.pid)
        with MemoryWatch(processes, time.monotonic()) as watch:
            measured = measure(stack, args)
    minutes = int(measured.ticks[-1].at // 60)
    p99s = minute_p99s(measured.samples, minutes)
    figures = [
        figure("run length", measured.ticks[-1].at / 60, "minutes"),
        figure("load average (1 min) before the stack started", load_before, "load"),
        *rate_figures(measured.ticks, "", args.rate),
        *freshness_figures(measured.samples, "whole run: ", target=True),
        figure("worst minute's 202-to-counted p99", max(p99s), "ms", target=f"< {P99_TARGET_MS:g}"),
        *memory_figures(watch.samples, args.warmup_minutes),
    ]
    write_results("soak", figures)
    names = sorted(watch.samples[0].rss)
    write_plot(
        PLOT,
        memory=[
            Series(name, [(s.at / 60, s.rss[name] / MIB) for s in watch.samples if name in s.rss])
            for name in names
        ],
        freshness=Series("p99 of the minute", [(m + 0.5, p) for m, p in enumerate(p99s)]),
        warmup_minutes=args.warmup_minutes,
        p99_target_ms=P99_TARGET_MS,
    )
    print(f"wrote {PLOT}")


if __name__ == "__main__":
    main()
