"""`salesflow api --sink kinesis` as a real process against the moto server: an event posted to
it lands in the stream. Without configured keys it makes and stores a development key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from contract.settings import Settings, hash_api_key
from devstack.local_servers import free_port, wait_for_http
from tests.integration.ingest_api.conftest import API_KEY, ROOMY_BUDGET_SECONDS, SOURCE
from tests.integration.ingest_api.helpers import create_stream, read_stream


def _start_api(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "salesflow", "api", "--sink", "kinesis", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def _stop(process: subprocess.Popen[bytes]) -> bytes:
    process.terminate()
    stdout, _ = process.communicate(timeout=15)
    return stdout


def test_salesflow_api_publishes_to_kinesis(
    moto_endpoint: str, moto_settings: Settings, event, tmp_path: Path
):
    kinesis = create_stream(moto_settings, shards=1)
    port = free_port()
    process = _start_api(
        {
            "SALESFLOW_AWS_ENDPOINT_URL": moto_endpoint,
            "SALESFLOW_NAME_PREFIX": moto_settings.name_prefix,
            "SALESFLOW_API_KEYS": f"{SOURCE}:{hash_api_key(API_KEY)}",
            "SALESFLOW_STATE_DIR": str(tmp_path),
            "SALESFLOW_PUBLISH_BUDGET_SECONDS": str(ROOMY_BUDGET_SECONDS),
        },
        port,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base_url}/healthz", process, timeout=60)
        payload = event()
        response = httpx.post(f"{base_url}/v1/sales", json=payload, headers={"X-API-Key": API_KEY})
        ready = httpx.get(f"{base_url}/readyz")
    finally:
        _stop(process)
    assert response.status_code == 202
    assert ready.status_code == 200
    ((_, stored),) = read_stream(kinesis, moto_settings.stream_name)
    assert (stored.event_id, stored.source) == (payload["event_id"], SOURCE)
    assert not (tmp_path / "api-key").exists()


def test_without_keys_a_development_key_is_made_stored_and_accepted(
    moto_endpoint: str, moto_settings: Settings, event, tmp_path: Path
):
    create_stream(moto_settings, shards=1)
    port = free_port()
    env = {
        "SALESFLOW_AWS_ENDPOINT_URL": moto_endpoint,
        "SALESFLOW_NAME_PREFIX": moto_settings.name_prefix,
        "SALESFLOW_STATE_DIR": str(tmp_path),
        "SALESFLOW_PUBLISH_BUDGET_SECONDS": str(ROOMY_BUDGET_SECONDS),
    }
    process = _start_api(env, port)
    key_file = tmp_path / "api-key"
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process, timeout=60)
        key = key_file.read_text().strip()
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/sales", json=event(), headers={"X-API-Key": key}
        )
    finally:
        printed = _stop(process).decode()
    assert response.status_code == 202
    assert key in printed
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_salesflow_api_answers_only_its_own_host_names(
    moto_endpoint: str, moto_settings: Settings, event, tmp_path: Path
):
    """DNS rebinding: a page whose name resolves to 127.0.0.1 reaches the local API with its own
    name in Host; the server refuses it, and still answers /healthz to any Host."""
    create_stream(moto_settings, shards=1)
    port = free_port()
    process = _start_api(
        {
            "SALESFLOW_AWS_ENDPOINT_URL": moto_endpoint,
            "SALESFLOW_NAME_PREFIX": moto_settings.name_prefix,
            "SALESFLOW_API_KEYS": f"{SOURCE}:{hash_api_key(API_KEY)}",
            "SALESFLOW_STATE_DIR": str(tmp_path),
            "SALESFLOW_PUBLISH_BUDGET_SECONDS": str(ROOMY_BUDGET_SECONDS),
        },
        port,
    )
    base_url = f"http://127.0.0.1:{port}"
    foreign = {"X-API-Key": API_KEY, "Host": f"rebound.example:{port}"}
    try:
        wait_for_http(f"{base_url}/healthz", process, timeout=60)
        refused = httpx.post(f"{base_url}/v1/sales", json=event(), headers=foreign)
        probe = httpx.get(f"{base_url}/healthz", headers={"Host": "10.0.3.17"})
        local = httpx.post(
            f"{base_url}/v1/sales",
            json=event(),
            headers={"X-API-Key": API_KEY, "Host": f"localhost:{port}"},
        )
    finally:
        _stop(process)
    assert refused.status_code == 400
    assert probe.status_code == 200
    assert local.status_code == 202


def test_salesflow_api_keeps_its_internal_routes_from_forwarded_requests(
    moto_endpoint: str, moto_settings: Settings, tmp_path: Path
):
    """Behind the load balancer a percent-encoded path passes its 404 rules; the server itself
    answers /metrics 404 to any forwarded request, and as ever from inside the network."""
    create_stream(moto_settings, shards=1)
    port = free_port()
    process = _start_api(
        {
            "SALESFLOW_AWS_ENDPOINT_URL": moto_endpoint,
            "SALESFLOW_NAME_PREFIX": moto_settings.name_prefix,
            "SALESFLOW_API_KEYS": f"{SOURCE}:{hash_api_key(API_KEY)}",
            "SALESFLOW_STATE_DIR": str(tmp_path),
        },
        port,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base_url}/healthz", process, timeout=60)
        forwarded = httpx.get(f"{base_url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        inside = httpx.get(f"{base_url}/metrics")
    finally:
        _stop(process)
    assert forwarded.status_code == 404
    assert inside.status_code == 200
