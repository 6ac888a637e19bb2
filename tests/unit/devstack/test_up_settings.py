from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from contract.settings import Settings, hash_api_key
from devstack.up import FAKE_AWS_CREDENTIALS, LocalStack, add_arguments


def _stack(*argv: str) -> LocalStack:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return LocalStack.from_args(parser.parse_args(list(argv)))


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
    assert stack.nightly is None


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
    assert not any("API_KEYS" in line for line in lines)
    assert "export AWS_ACCESS_KEY_ID=salesflow-local" in lines


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
