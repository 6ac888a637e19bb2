from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from devstack.processes import MAX_RESTARTS, ComponentSpec, SupervisionEvent, Supervisor


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[1].startswith("Z"))


def _wait_for(predicate: Callable[[], object], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _spec(tmp_path: Path, name: str, code: str, restart: bool = True) -> ComponentSpec:
    return ComponentSpec(
        name=name,
        argv=[sys.executable, "-c", code],
        env=dict(os.environ),
        log_path=tmp_path / f"{name}.log",
        restart=restart,
    )


GRANDPARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
print(child.pid, flush=True)
time.sleep(300)
"""


def test_stop_ends_the_whole_process_group_and_logs_to_its_file(tmp_path):
    supervisor = Supervisor()
    component = supervisor.start(_spec(tmp_path, "parent", GRANDPARENT))
    log = tmp_path / "parent.log"
    assert _wait_for(lambda: log.exists() and log.read_text().strip())
    grandchild = int(log.read_text().split()[0])
    assert _alive(grandchild)

    supervisor.stop_all(timeout=5)

    assert component.exit_code() is not None
    assert _wait_for(lambda: not _alive(grandchild))
    assert not supervisor.components


def test_a_process_ignoring_sigterm_is_killed(tmp_path):
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('up', flush=True); time.sleep(300)"
    )
    supervisor = Supervisor()
    component = supervisor.start(_spec(tmp_path, "stubborn", code))
    assert _wait_for(lambda: "up" in (tmp_path / "stubborn.log").read_text())
    supervisor.stop("stubborn", timeout=0.5)
    assert component.exit_code() == -9


def test_a_crashing_component_is_restarted_then_given_up(tmp_path):
    supervisor = Supervisor()
    supervisor.start(_spec(tmp_path, "crasher", "print('boom', flush=True); raise SystemExit(3)"))
    events: list[SupervisionEvent] = []

    def gave_up() -> bool:
        events.extend(supervisor.check())
        return any(not e.restarted for e in events)

    assert _wait_for(gave_up, timeout=60)
    assert [e.exit_code for e in events] == [3] * (MAX_RESTARTS + 1)
    assert [e.restarted for e in events] == [True] * MAX_RESTARTS + [False]
    assert not any(e.job for e in events)
    assert (tmp_path / "crasher.log").read_text().count("boom") == MAX_RESTARTS + 1
    supervisor.stop_all(timeout=1)


def test_a_job_that_ends_is_reported_once_and_not_restarted(tmp_path):
    supervisor = Supervisor()
    supervisor.start(_spec(tmp_path, "batch", "raise SystemExit(0)", restart=False))
    events: list[SupervisionEvent] = []

    def reported() -> bool:
        events.extend(supervisor.check())
        return bool(events)

    assert _wait_for(reported)
    assert [(e.component, e.exit_code, e.restarted, e.job) for e in events] == [
        ("batch", 0, False, True)
    ]
    assert "batch" not in supervisor.components
    assert supervisor.check() == []
