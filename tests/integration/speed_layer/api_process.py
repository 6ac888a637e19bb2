"""The real ingest API (`salesflow api`, uvicorn) as a child process, for end-to-end tests and
the freshness benchmark."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from contract.settings import hash_api_key
from devstack.local_servers import free_port
from tests.integration.speed_layer.stack import eventually, process

API_KEY = "speed-layer-test-key"


@dataclass(frozen=True)
class RunningApi:
    base_url: str
    headers: dict[str, str]


@contextmanager
def ingest_api(env: dict[str, str], sink: str, log: Path) -> Iterator[RunningApi]:
    port = free_port()
    api_env = env | {"SALESFLOW_API_KEYS": f"speed-test:{hash_api_key(API_KEY)}"}
    with process(
        ["salesflow", "api", "--sink", sink, "--port", str(port), "--log-level", "warning"],
        api_env,
        log,
    ) as child:
        base_url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert child.poll() is None, f"the API exited:\n{log.read_text()}"
            try:
                return httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        eventually(ready, timeout=60, what="the ingest API to be ready")
        yield RunningApi(base_url, {"X-API-Key": API_KEY})
