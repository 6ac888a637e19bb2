"""Child processes of `salesflow up`: each in its own process group, logging to its own file.

A component is started with `start_new_session=True`, so it leads a process group, and stopped by
signalling the whole group: whatever it spawned (uvicorn workers, a Spark JVM) goes with it and
nothing is left running. The supervisor restarts a component that dies, with a limit, so a
crash-looping one is reported instead of hammering the machine.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)

MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    log_path: Path
    restart: bool = True
    """Restart when it exits; False for jobs that end by design (the batch run, a simulator)."""


@dataclass
class Component:
    spec: ComponentSpec
    process: subprocess.Popen[bytes] | None = None
    restarts: deque[float] = field(default_factory=deque)
    gave_up: bool = False
    _log: IO[bytes] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        self.spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._close_log()
        self._log = self.spec.log_path.open("ab")
        self.process = subprocess.Popen(
            list(self.spec.argv),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=dict(self.spec.env),
            start_new_session=True,
        )
        logger.info("started %s", self.name, extra={"pid": self.process.pid})

    def exit_code(self) -> int | None:
        """None while running (or never started), else the exit status."""
        return self.process.poll() if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the process group, wait, then SIGKILL what is left of the group."""
        if self.process is None:
            return
        process = self.process
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            logger.warning("%s did not stop within %ss, killing it", self.name, timeout)
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()
        self._close_log()
        logger.info("stopped %s", self.name, extra={"exit_code": process.returncode})

    def may_restart(self, now: float) -> bool:
        """Allow at most MAX_RESTARTS restarts within RESTART_WINDOW_SECONDS."""
        while self.restarts and now - self.restarts[0] > RESTART_WINDOW_SECONDS:
            self.restarts.popleft()
        return len(self.restarts) < MAX_RESTARTS

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.spec.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


@dataclass(frozen=True)
class SupervisionEvent:
    component: str
    exit_code: int
    restarted: bool
    job: bool
    """The component ends by design (`restart=False`): its exit is news, not a failure."""


class Supervisor:
    """Starts components, restarts the ones that die, and stops them all in reverse order."""

    def __init__(self) -> None:
        self.components: dict[str, Component] = {}

    def start(self, spec: ComponentSpec) -> Component:
        component = Component(spec)
        self.components[spec.name] = component
        component.start()
        return component

    def check(self) -> list[SupervisionEvent]:
        """Restart components that exited unexpectedly; report every exit seen."""
        events = []
        now = time.monotonic()
        for component in list(self.components.values()):
            code = component.exit_code()
            if code is None or component.gave_up:
                continue
            if not component.spec.restart:
                events.append(SupervisionEvent(component.name, code, restarted=False, job=True))
                del self.components[component.name]
                component.stop(timeout=0)
                continue
            if component.may_restart(now):
                component.restarts.append(now)
                logger.warning("%s exited with %s, restarting", component.name, code)
                component.start()
                events.append(SupervisionEvent(component.name, code, restarted=True, job=False))
            else:
                component.gave_up = True
                logger.error("%s keeps crashing, not restarting it", component.name)
                events.append(SupervisionEvent(component.name, code, restarted=False, job=False))
        return events

    def stop(self, name: str, timeout: float = 15.0) -> None:
        component = self.components.pop(name, None)
        if component is not None:
            component.stop(timeout)

    def stop_all(self, timeout: float = 15.0) -> None:
        for name in reversed(list(self.components)):
            self.stop(name, timeout)
