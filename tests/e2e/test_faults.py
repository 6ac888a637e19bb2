"""The fault campaign: `salesflow up` under a resending client, one fault after another.

Every AWS call of the stack goes through `fault_proxy` to the moto server. First, while the
client (the simulator) sends, the stream throttles a share of each PutRecords call's records,
answers whole calls 500 and holds some calls past the ingest API's publish budget (so records
acknowledged to nobody are written and then sent again). Then, while it sends again, the ingest
API, the speed consumer and the serving process are killed (SIGKILL), one after another, and
`up` restarts each; a poison record (no event at all) waits on the stream for the consumer. Then
legacy CSV exports are dropped in the landing folder and the CSV watcher is killed (SIGKILL) in
the middle of loading the largest; `up` restarts it, it finishes that load, and more exports are
dropped. After each phase the merged API must equal the ledger of acknowledged events (and the
exports' lines) to the cent: nothing lost, nothing counted twice. A batch run killed half way is
in tests/integration/batch_layer/test_processes.py.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from contract.aws import aws_client
from contract.lake import CSV_LOADS, CSV_STAGING, CSV_UPLOADS, QUARANTINE
from contract.settings import Settings
from devstack.local_servers import moto_server
from devstack.resources import bootstrap_resources
from tests.e2e.csv_exports import Export, export_figures, write_export
from tests.e2e.fault_proxy import fault_proxy
from tests.e2e.ledger_checks import (
    added,
    api_figures,
    ledger_figures,
    simulate,
    wait_until_api_equals,
    wait_until_api_equals_ledgers,
)
from tests.e2e.stack import MARKER, Stack, processes_with, running_up, salesflow

KILLED = {"api": "ingest-api", "speed": "speed", "serve": "serving"}
"""`salesflow <command>` -> its component in `up`: killed in turn, two seconds apart."""
WATCHER = ("-m", "batch_layer.csv_watcher")
"""How `up` starts the CSV watcher (after the interpreter)."""
EXPORTS_BEFORE_KILL = (60_000, 300, 300)
"""Lines per export dropped before the kill: the first takes the loader seconds on two busy
cores, a window wide enough to kill the watcher inside it."""
EXPORTS_AFTER_KILL = (300, 5_000)


@dataclass(frozen=True)
class CsvPhase:
    """What the CSV phase dropped, and the export whose load the kill cut short."""

    exports: list[Export]
    killed_loading: Export


@pytest.mark.spark
def test_stream_faults_and_killed_components_lose_and_double_count_nothing(tmp_path, capsys):
    ledger, during_kills = tmp_path / "ledger.json", tmp_path / "ledger-kills.json"
    with moto_server() as emulator, fault_proxy(emulator) as (proxy, faults):
        prefix = f"f{uuid.uuid4().hex[:8]}"
        env = {"SALESFLOW_AWS_ENDPOINT_URL": proxy, "SALESFLOW_NAME_PREFIX": prefix}
        _bootstrap(proxy, prefix, tmp_path / "state" / "lake")
        faults.record_failure_fraction = 0.3
        faults.call_error_fraction = 0.1
        faults.slow_fraction = 0.1
        faults.slow_seconds = Settings().publish_budget_seconds + 1
        with running_up(tmp_path, "--no-emulator", env=env) as stack:
            simulate(stack.env, stack.ingest_url, stack.key, seed=31, ledger=ledger)
            faults.clear()
            wait_until_api_equals_ledgers(stack.serve_url, [ledger])
            expected = ledger_figures([ledger])
            actual, _ = api_figures(stack.serve_url, sorted({day for day, _ in expected}))
            assert actual == expected
            poison = _put_poison_record(emulator, prefix)
            _simulate_while_killing(stack, during_kills)
            wait_until_api_equals_ledgers(stack.serve_url, [ledger, during_kills], timeout=300)
            csv, csv_seconds = _csv_phase(stack, tmp_path / "exports", [ledger, during_kills])
            output = stack.output.read_text()
            quarantined = [
                path.read_text() for path in (stack.state / "lake" / QUARANTINE).rglob("*.jsonl")
            ]
    assert any(poison in text for text in quarantined), "the poison record is kept for replay"
    for component in KILLED.values():
        assert f"{component} exited with code -9 (restarted)" in output, output[-3000:]
    watcher_exits = output.count("csv-watcher exited")
    assert watcher_exits == output.count("csv-watcher exited with code -9 (restarted)") == 1, (
        "the restarted watcher finished the stopped load without crashing"
    )
    for fault in (
        "records failed as throttled",
        "PutRecords answered 500",
        "PutRecords held past the publish budget",
    ):
        assert faults.injected[fault] > 0, f"{fault}: never injected ({dict(faults.injected)})"
    orders = sum(int(row["orders"]) for row in expected.values())
    net = sum((Decimal(row["net_revenue"]) for row in actual.values()), Decimal(0))
    with capsys.disabled():
        print(
            f"\nstream faults {dict(faults.injected)}: {orders} orders acknowledged and counted "
            f"once each (net {net}): 0 lost, 0 double counted; then "
            f"{', '.join(KILLED.values())} killed in turn, the merged API still equal; "
            f"csv-watcher killed and restarted {watcher_exits} time(s), loading "
            f"{csv.killed_loading.name} "
            f"({len(csv.killed_loading.lines)} lines): {len(csv.exports)} exports, "
            f"{sum(len(e.lines) for e in csv.exports)} lines, "
            f"{sum(e.events for e in csv.exports)} events, each counted once "
            f"{csv_seconds:.0f} s after the first drop"
        )


def _put_poison_record(emulator: str, prefix: str) -> str:
    """A record no contract version reads, put on the stream behind the API's back: the
    consumer must quarantine it and go on, not stop the shard."""
    poison = f"not an event {uuid.uuid4().hex}"
    settings = Settings(aws_endpoint_url=emulator, name_prefix=prefix)
    aws_client(settings, "kinesis").put_record(
        StreamName=settings.stream_name, Data=poison.encode(), PartitionKey="poison"
    )
    return poison


def _simulate_while_killing(stack: Stack, ledger: Path) -> None:
    """The simulator for 10 s, patient enough to ride out a restart; SIGKILL each component."""
    simulator = subprocess.Popen(
        salesflow(
            "simulate",
            "--duration",
            "10",
            "--rate",
            "30",
            "--flat",
            "--seed",
            "32",
            "--api-url",
            stack.ingest_url,
            f"--api-key={stack.key}",
            "--ledger",
            str(ledger),
            "--max-attempts",
            "40",
        ),
        env=stack.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    for command in KILLED:
        time.sleep(2)
        os.kill(_component(stack, command), signal.SIGKILL)
    _, errors = simulator.communicate(timeout=600)
    assert simulator.returncode == 0, errors.decode()[-3000:]


def _component(stack: Stack, command: str) -> int:
    """The pid of `salesflow <command>` among the stack's processes."""
    pids = _processes(stack, "-m", "salesflow", command)
    assert pids, f"no `salesflow {command}` process in the stack"
    return pids[0]


def _processes(stack: Stack, *arguments: str) -> list[int]:
    """The stack's live processes started as `python <arguments> ...`."""
    wanted = [argument.encode() for argument in arguments]
    found = []
    for pid in processes_with(stack.env[MARKER]):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[1 : 1 + len(wanted)] == wanted and not _gone(pid):
            found.append(pid)
    return found


def _gone(pid: int) -> bool:
    """True once `pid` has exited (a zombie not yet reaped by `up` counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


def _csv_phase(stack: Stack, folder: Path, ledgers: list[Path]) -> tuple[CsvPhase, float]:
    """Exports loaded through a killed watcher; the seconds from the first drop until the
    merged API equals the ledgers plus the exports' lines."""
    started = time.monotonic()
    csv = _load_exports_through_a_killed_watcher(stack, folder)
    expected = added(ledger_figures(ledgers), export_figures(csv.exports))
    wait_until_api_equals(stack.serve_url, expected, timeout=120)
    seconds = time.monotonic() - started
    _assert_each_export_loaded_once(stack, csv.exports)
    assert len(_processes(stack, *WATCHER)) == 1, "one watcher, no stray process"
    return csv, seconds


def _load_exports_through_a_killed_watcher(stack: Stack, folder: Path) -> CsvPhase:
    """Drop exports, SIGKILL the watcher while it stages the largest, drop more once `up` has
    restarted it. The load must have been cut short: its record (written last) is absent
    once the watcher is dead, so the restarted watcher has a half-done load to finish."""
    folder.mkdir()
    rng = random.Random(41)
    before = [
        write_export(folder, f"before-{n}", lines, rng)
        for n, lines in enumerate(EXPORTS_BEFORE_KILL)
    ]
    lake, victim = stack.state / "lake", before[0]
    (watcher,) = _processes(stack, *WATCHER)
    _drop(stack, before)
    _wait_for(
        (lake / CSV_STAGING / victim.sha256 / "_load.json").exists,
        f"the watcher to start loading {victim.name}",
    )
    os.kill(watcher, signal.SIGKILL)
    _wait_for(lambda: _gone(watcher), "the killed watcher to exit")
    assert not (lake / CSV_LOADS / f"{victim.sha256}.json").exists(), "killed after the load"
    _wait_for(lambda: len(_processes(stack, *WATCHER)) == 1, "`up` to restart the watcher")
    after = [
        write_export(folder, f"after-{n}", lines, rng) for n, lines in enumerate(EXPORTS_AFTER_KILL)
    ]
    _drop(stack, after)
    return CsvPhase([*before, *after], victim)


def _drop(stack: Stack, exports: list[Export]) -> None:
    """Move whole files into the landing folder, as a copy finished elsewhere would arrive."""
    landing = stack.state / "landing"
    landing.mkdir(exist_ok=True)
    for export in exports:
        os.replace(export.written, landing / export.name)


def _assert_each_export_loaded_once(stack: Stack, exports: list[Export]) -> None:
    """Every export moved to `loaded/` once, its record counting all its lines, its parts
    holding each line once, nothing rejected and no half-done load left in staging."""
    landing, lake = stack.state / "landing", stack.state / "lake"
    assert sorted(path.name for path in landing.glob("*.csv")) == []
    assert not list(landing.glob("rejected/*"))
    loaded = sorted(path.name.split("-", 1)[1] for path in landing.glob("loaded/*.csv"))
    assert loaded == sorted(export.name for export in exports)
    for export in exports:
        record = json.loads((lake / CSV_LOADS / f"{export.sha256}.json").read_text())
        assert (record["accepted"], record["rejected"]) == (len(export.lines), 0)
        parts = sorted((lake / CSV_UPLOADS).glob(f"{export.sha256}-*.csv"))
        lines = sum(len(part.read_text().splitlines()) - 1 for part in parts)
        assert lines == len(export.lines), f"{export.name}: {lines} lines in its parts"
    assert [path for path in (lake / CSV_STAGING).rglob("*") if path.is_file()] == []


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)


def _bootstrap(proxy: str, prefix: str, lake: Path) -> None:
    """The stream, queues and tables `up --no-emulator` expects to exist, as Terraform would."""
    settings = Settings(aws_endpoint_url=proxy, name_prefix=prefix)
    bootstrap_resources(settings, lake_uri=str(lake))
