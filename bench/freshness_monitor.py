"""What the freshness benchmark watches once a second: each stack process's CPU and memory, the
events the load generator got acknowledged, and the machine's load average (the machine is
shared, so the figures say how busy it was)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil  # type: ignore[import-untyped]

COMPONENTS = {"serve": "serving", "api": "ingest-api", "speed": "speed"}
"""`salesflow <command>` -> the component's name in `salesflow up`."""


@dataclass(frozen=True)
class Tick:
    at: float
    """Seconds since the run's start."""
    cpu_seconds: dict[str, float]
    """Per component (and "load generator" for this process), user + system CPU so far."""
    serving_rss: int
    sent: int
    """Events the load generator has sent (duplicates it sends on purpose included)."""
    acknowledged: int
    """Distinct events the ingest API has acknowledged (202)."""
    load_average: float


def stack_processes(up_pid: int, emulator_pid: int) -> dict[str, psutil.Process]:
    """The components `salesflow up` (process `up_pid`) runs, by name, the emulator and this
    process."""
    found = {"load generator": psutil.Process(), "aws-emulator": psutil.Process(emulator_pid)}
    for child in psutil.Process(up_pid).children(recursive=True):
        command = child.cmdline()
        if command[1:3] == ["-m", "salesflow"] and len(command) > 3 and command[3] in COMPONENTS:
            found[COMPONENTS[command[3]]] = child
    if "serving" not in found:
        raise RuntimeError(f"salesflow up (pid {up_pid}) runs no serving process")
    return found


class Monitor:
    def __init__(
        self,
        processes: dict[str, psutil.Process],
        delivered: Callable[[], tuple[int, int]],
        started: float,
    ) -> None:
        """`delivered()`: the load generator's events sent and acknowledged so far."""
        self._processes = processes
        self._delivered = delivered
        self._started = started
        self.ticks: list[Tick] = []

    def tick(self) -> Tick:
        cpu = {}
        for name, process in self._processes.items():
            times = process.cpu_times()
            cpu[name] = times.user + times.system
        sent, acknowledged = self._delivered()
        tick = Tick(
            at=time.monotonic() - self._started,
            cpu_seconds=cpu,
            serving_rss=self._processes["serving"].memory_info().rss,
            sent=sent,
            acknowledged=acknowledged,
            load_average=os.getloadavg()[0],
        )
        self.ticks.append(tick)
        return tick
