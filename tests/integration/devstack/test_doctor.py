"""`salesflow doctor` as a user runs it: against a taken port, a broken JAVA_HOME, an AWS
endpoint nobody listens on, and a real moto server with and without the stack's resources."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from devstack.local_servers import FAKE_CREDENTIALS, free_port
from devstack.resources import bootstrap_resources
from tests.fake_tools import fake_java_home


def _doctor(tmp_path: Path, *options: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`salesflow doctor` on free ports (unless `options` name one) with fake AWS credentials."""
    ports = []
    for option in ("--moto-port", "--ingest-port", "--serve-port"):
        if option not in options:
            ports += [option, str(free_port())]
    return subprocess.run(
        [
            *(sys.executable, "-m", "salesflow", "doctor", "--state-dir", str(tmp_path)),
            *ports,
            *options,
        ],
        env={**os.environ, **FAKE_CREDENTIALS, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_healthy_machine_passes_every_check(tmp_path):
    result = _doctor(tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1].startswith("all good")
    names = [line.split()[1] for line in result.stdout.splitlines()[1:-1]]
    assert names == ["Python", "Java", "port", "port", "port", "disk", "AWS"]


def test_a_taken_port_fails_with_the_option_that_moves_it(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        result = _doctor(tmp_path, "--serve-port", str(taken))
    assert result.returncode == 1
    (line,) = [line for line in result.stdout.splitlines() if f"port {taken}" in line]
    assert line.startswith("FAIL")
    assert "serving API" in line
    assert "--serve-port" in line
    assert "1 failed" in result.stdout


def test_a_java_home_without_java_fails_with_the_java_to_use_instead(tmp_path):
    (tmp_path / "jdk").mkdir()
    result = _doctor(tmp_path, JAVA_HOME=str(tmp_path / "jdk"))
    assert result.returncode == 1
    (line,) = [line for line in result.stdout.splitlines() if line.split()[1:2] == ["Java"]]
    assert line.startswith("FAIL")
    assert f"JAVA_HOME={tmp_path / 'jdk'} has no working bin/java" in line
    assert "fix: export JAVA_HOME=" in line


def test_a_java_spark_does_not_run_on_fails(tmp_path):
    home = fake_java_home(tmp_path / "jdk-21", "21.0.3")
    result = _doctor(tmp_path, JAVA_HOME=str(home))
    assert result.returncode == 1
    assert "JAVA_HOME names Java 21.0.3" in result.stdout


def test_an_unreachable_aws_endpoint_fails_every_resource_with_where_to_look(tmp_path):
    endpoint = f"http://127.0.0.1:{free_port()}"
    result = _doctor(
        tmp_path,
        "--no-emulator",
        SALESFLOW_AWS_ENDPOINT_URL=endpoint,
        SALESFLOW_LAKE_URI="s3://acme-lake/prod",
    )
    assert result.returncode == 1
    resources = [
        line
        for line in result.stdout.splitlines()
        if "Kinesis" in line or "SQS" in line or "S3" in line
    ]
    assert len(resources) == 4, "the stream, the SQS and Kinesis dead-letter queues, the lake"
    for line in resources:
        assert line.startswith("FAIL")
        assert f"cannot reach {endpoint}" in line
        assert "SALESFLOW_AWS_ENDPOINT_URL" in line
    assert "AWS emulator" not in result.stdout
    assert "ok    AWS credentials  from env" in result.stdout


def test_resources_are_found_by_name_on_a_real_endpoint(tmp_path, moto_settings):
    bootstrap_resources(moto_settings, lake_uri=f"s3://{moto_settings.lake_bucket}/lake")
    env = {
        "SALESFLOW_AWS_ENDPOINT_URL": moto_settings.aws_endpoint_url or "",
        "SALESFLOW_NAME_PREFIX": moto_settings.name_prefix,
        "SALESFLOW_LAKE_URI": f"s3://{moto_settings.lake_bucket}/lake",
    }
    found = _doctor(tmp_path, "--no-emulator", "--sink", "sqs", **env)
    assert found.returncode == 0, found.stdout
    for name in (
        moto_settings.queue_name,
        moto_settings.dead_letter_queue_name,
        moto_settings.lake_bucket,
    ):
        assert f"{name} exists" in found.stdout

    missing = _doctor(tmp_path, "--no-emulator", **env | {"SALESFLOW_STREAM_NAME": "nope"})
    assert missing.returncode == 1
    (line,) = [line for line in missing.stdout.splitlines() if "Kinesis stream" in line]
    assert line.startswith("FAIL")
    assert "nope does not exist" in line
    assert "SALESFLOW_STREAM_NAME" in line
