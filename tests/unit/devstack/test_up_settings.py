from __future__ import annotations

import argparse
import functools
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import devstack.up
from contract.settings import Settings, hash_api_key
from devstack.java import find_java
from devstack.local_servers import free_port
from devstack.up import FAKE_AWS_CREDENTIALS, LocalStack, add_arguments
from tests.fake_tools import fake_java_home

SATURDAY_1AM_SAO_PAULO = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)


def _stack(*argv: str, clock: Callable[[], datetime] | None = None) -> LocalStack:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(list(argv))
    return LocalStack.from_args(args, clock) if clock else LocalStack.from_args(args)


def test_defaults_follow_design_section_seven(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stack = _stack()
    assert stack.state.root == (tmp_path / ".salesflow").resolve()
    assert stack.settings.lake_uri == str((tmp_path / ".salesflow" / "lake").resolve())
    assert stack.settings.sink == "kinesis"
    assert (stack.settings.ingest_port, stack.settings.serve_port, stack.moto_port) == (
        8000,
        8080,
        4566,
    )
    assert stack.settings.aws_endpoint_url == "http://127.0.0.1:4566"
    assert stack.simulator_rate == 5.0
    assert stack.nightly is not None
    assert (f"{stack.nightly.at:%H:%M}", stack.nightly.zone.key) == ("02:30", "America/Sao_Paulo")


def test_consumer_kcl_runs_the_speed_service_as_the_kcl_daemon_and_needs_kinesis(tmp_path):
    speed = {s.name: s.argv for s in _stack("--state-dir", str(tmp_path))._services()}["speed"]
    assert speed[-2:] == ("--consumer", "poller")
    stack = _stack("--state-dir", str(tmp_path), "--consumer", "kcl")
    speed = {s.name: s.argv for s in stack._services()}["speed"]
    assert speed[-3:] == ("speed", "--consumer", "kcl")
    with pytest.raises(ValueError, match="--consumer kcl reads the Kinesis stream"):
        _stack("--state-dir", str(tmp_path), "--sink", "sqs", "--consumer", "kcl")


def test_options_move_ports_state_and_sink(tmp_path):
    stack = _stack(
        "--state-dir", str(tmp_path / "s"), "--sink", "sqs", "--moto-port", "5001",
        "--ingest-port", "5002", "--serve-port", "5003", "--no-simulator", "--nightly-at", "02:30",
    )  # fmt: skip
    assert stack.settings.lake_uri == str(tmp_path / "s" / "lake")
    assert stack.settings.sink == "sqs"
    assert stack.settings.aws_endpoint_url == "http://127.0.0.1:5001"
    assert stack.ingest_url == "http://127.0.0.1:5002"
    assert stack.serve_url == "http://127.0.0.1:5003"
    assert stack.simulator_rate is None
    assert stack.nightly is not None
    assert f"{stack.nightly.at:%H:%M}" == "02:30"


def test_without_the_emulator_the_configured_endpoints_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESFLOW_KINESIS_ENDPOINT_URL", "https://kinesis.sa-east-1.amazonaws.com")
    monkeypatch.setenv("SALESFLOW_LAKE_URI", "s3://acme-lake/prod")
    stack = _stack("--no-emulator", "--state-dir", str(tmp_path))
    assert stack.moto_port is None
    assert stack.settings.aws_endpoint_url is None
    assert stack.settings.endpoint_url("kinesis") == "https://kinesis.sa-east-1.amazonaws.com"
    assert stack.settings.lake_uri == "s3://acme-lake/prod"
    assert stack.nightly is None, "against AWS the deployment's scheduler runs the nightly job"
    asked = _stack("--no-emulator", "--state-dir", str(tmp_path), "--nightly-at", "03:00")
    assert asked.nightly is not None


def test_no_demo_data_starts_empty_and_keeps_the_nightly_run(tmp_path):
    stack = _stack("--state-dir", str(tmp_path), "--no-demo-data")
    assert (stack.demo_data, stack.simulator_rate, stack.backfill_days) == (False, None, 0.0)
    assert stack.nightly is not None


def test_no_nightly_turns_the_default_run_off_and_cannot_be_combined_with_a_time(tmp_path):
    assert _stack("--state-dir", str(tmp_path), "--no-nightly").nightly is None
    assert (
        _stack("--state-dir", str(tmp_path), "--no-nightly").progress_suffix(SATURDAY_1AM_SAO_PAULO)
        == ""
    )
    with pytest.raises(SystemExit):
        _stack("--state-dir", str(tmp_path), "--no-nightly", "--nightly-at", "03:00")


def test_the_default_nightly_run_is_due_at_0230_in_the_reporting_zone_on_a_fake_clock(
    tmp_path, capsys
):
    now = SATURDAY_1AM_SAO_PAULO
    stack = _stack("--state-dir", str(tmp_path), clock=lambda: now)
    stack._env = stack._child_env("k3y")
    due = datetime(2026, 11, 21, 5, 30, tzinfo=UTC)  # 02:30 in São Paulo (UTC-3)
    assert stack._next_batch == due
    assert stack.progress_suffix(now) == " · next batch 02:30 (in 1h 30m)"
    assert "02:30 America/Sao_Paulo daily (--no-nightly: off)" in stack._nightly_banner()
    try:
        stack.run_nightly_if_due(due - timedelta(seconds=1))
        assert "batch" not in stack.supervisor.components
        stack.run_nightly_if_due(due)
        assert "batch" in stack.supervisor.components
        assert "nightly batch started" in capsys.readouterr().out
        assert stack.progress_suffix(due) == " · next batch 02:30 (in 24h 00m)"
    finally:
        stack.supervisor.stop_all(timeout=5)


def _without_java(monkeypatch, tmp_path: Path) -> None:
    """No Java on PATH, JAVA_HOME unset, and none where `find_java` looks further."""
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setattr(
        devstack.up, "find_java", functools.partial(find_java, jvm_dirs=(), homebrew_prefixes=())
    )


def test_without_java_the_nightly_run_is_skipped_with_how_to_install_it(
    tmp_path, monkeypatch, capsys
):
    _without_java(monkeypatch, tmp_path)
    stack = _stack("--state-dir", str(tmp_path), clock=lambda: SATURDAY_1AM_SAO_PAULO)
    stack._env = stack._child_env("k3y")
    assert "needs Java 17, not found: " in stack._nightly_banner()
    due = stack._next_batch
    assert due is not None
    stack.run_nightly_if_due(due)
    assert "batch" not in stack.supervisor.components
    out = capsys.readouterr().out
    assert "nightly batch skipped: it needs Java 17" in out
    assert "install" in out
    assert stack._next_batch == due + timedelta(days=1)


def test_up_checks_everything_first_and_reports_every_failure_together(
    tmp_path, monkeypatch, capsys
):
    _without_java(monkeypatch, tmp_path)
    with socket.socket() as one, socket.socket() as two:
        for holder in (one, two):
            holder.bind(("127.0.0.1", 0))
            holder.listen()
        ingest, serve = one.getsockname()[1], two.getsockname()[1]
        stack = _stack(
            "--state-dir", str(tmp_path), "--ingest-port", str(ingest), "--serve-port",
            str(serve), "--moto-port", str(free_port()),
        )  # fmt: skip
        assert not stack._preflight()
    out = capsys.readouterr().out
    assert "salesflow up cannot start (2 to fix)" in out
    assert f"port {ingest}" in out
    assert "--ingest-port" in out
    assert f"port {serve}" in out
    assert "--serve-port" in out
    assert "FAIL  Java" in out, "a missing Java is listed, though it does not stop `up`"


def test_a_missing_java_does_not_stop_up_but_is_said(tmp_path, monkeypatch, capsys):
    _without_java(monkeypatch, tmp_path)
    stack = _stack(
        "--state-dir", str(tmp_path), "--ingest-port", str(free_port()), "--serve-port",
        str(free_port()), "--moto-port", str(free_port()),
    )  # fmt: skip
    assert stack._preflight()
    out = capsys.readouterr().out
    assert "salesflow up starts, but note:" in out
    assert "batch runs" in out


def test_children_get_the_stack_settings_and_the_local_key(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESFLOW_API_KEYS", f"pos:{'a' * 64}")
    stack = _stack("--state-dir", str(tmp_path), "--ingest-port", "5002")
    env = stack._child_env("k3y")
    assert env["SALESFLOW_API_KEYS"] == f"pos:{'a' * 64},local:{hash_api_key('k3y')}"
    assert env["SALESFLOW_STATE_DIR"] == str(tmp_path.resolve())
    assert env["SALESFLOW_INGEST_PORT"] == "5002"
    monkeypatch.setenv("SALESFLOW_API_KEYS", env["SALESFLOW_API_KEYS"])
    assert [key.source for key in Settings().api_keys] == ["pos", "local"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rate", "0"], "--rate"),
        (["--backfill-days", "-1"], "--backfill-days"),
        (["--nightly-at", "25:00"], "HH:MM"),
        (["--lake", "ftp://x"], "s3://bucket/prefix"),
    ],
)
def test_bad_options_are_refused_with_a_reason(argv, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        _stack("--state-dir", str(tmp_path), *argv)


def test_env_file_lets_other_commands_reach_the_stack(tmp_path, monkeypatch):
    for name, value in FAKE_AWS_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    stack = _stack("--state-dir", str(tmp_path))
    stack._env = stack._child_env("k3y")
    stack._write_env_file()
    lines = Path(tmp_path / "env").read_text().splitlines()
    assert f"export SALESFLOW_STATE_DIR={tmp_path.resolve()}" in lines
    assert "export SALESFLOW_AWS_ENDPOINT_URL=http://127.0.0.1:4566" in lines
    assert "export SALESFLOW_CUSTOMER_PROFILE_STORE=dynamodb" in lines, "profiles on the emulator"
    assert not any("API_KEYS" in line for line in lines)
    assert "export AWS_ACCESS_KEY_ID=salesflow-local" in lines
    assert not any("JAVA_HOME" in line for line in lines)


def test_children_and_the_env_file_get_the_supported_java_spark_would_not_find(
    tmp_path, monkeypatch
):
    (tmp_path / "no-java").mkdir()
    home = fake_java_home(tmp_path / "jdk-17")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "java").symlink_to(home / "bin" / "java")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    stack = _stack("--state-dir", str(tmp_path))
    stack._env = stack._child_env("k3y")
    assert stack._env["JAVA_HOME"] == str(home)
    stack._write_env_file()
    assert f"export JAVA_HOME={home}" in (tmp_path / "env").read_text().splitlines()


def test_env_file_never_holds_credentials_of_the_user(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKING")
    (tmp_path / "a b").mkdir()
    stack = _stack("--state-dir", str(tmp_path / "a b"))
    stack._env = stack._child_env("k3y")
    stack._write_env_file()
    text = (tmp_path / "a b" / "env").read_text()
    assert "AKIAREALLOOKING" not in text
    assert "AWS_ACCESS_KEY_ID" not in text
    assert f"export SALESFLOW_STATE_DIR='{(tmp_path / 'a b').resolve()}'" in text.splitlines()


def test_nightly_batch_starts_once_when_due_with_a_lagging_cutoff(tmp_path, capsys):
    stack = _stack("--state-dir", str(tmp_path), "--nightly-at", "02:30")
    stack._env = stack._child_env("k3y")
    due = stack._next_batch
    assert due is not None
    try:
        stack.run_nightly_if_due(due - timedelta(seconds=1))
        assert "batch" not in stack.supervisor.components

        stack.run_nightly_if_due(due)
        batch = stack.supervisor.components["batch"]
        cutoff = batch.spec.argv[batch.spec.argv.index("--cutoff") + 1]
        lag = timedelta(seconds=stack.settings.batch_cutoff_lag_seconds)
        assert datetime.fromisoformat(cutoff) == due - lag
        assert list(batch.spec.argv[-5:-2]) == ["salesflow", "batch", "run"]
        assert stack._next_batch == due + timedelta(days=1)

        stack.run_nightly_if_due(due + timedelta(days=1))
        assert "skipped" in capsys.readouterr().out
    finally:
        stack.supervisor.stop_all(timeout=5)
