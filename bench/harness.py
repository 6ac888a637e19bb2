"""What the benchmarks start and send: the platform's own processes on the emulator, and sample
events in the contract's shape.

The benchmarks' own helpers, built on `devstack.local_servers` (as the tests' are), so a
benchmark never imports the test tree and runs as a module: `python -m bench.<layer>`.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from contract.settings import Settings
from devstack.local_servers import FAKE_CREDENTIALS
from devstack.resources import bootstrap_resources

API_KEY = "bench-key"

_SALE: dict[str, Any] = {
    "event_type": "sale",
    "channel": "pos",
    "store_id": "SP-PAULISTA-01",
    "order_id": "PDV7-000123",
    "customer_id": "C-000042",
    "currency": "BRL",
    "payment_method": "pix",
    "items": [
        {"sku": "NB-DELL-I5-16", "quantity": 1, "unit_price": "4599.90", "discount": "100.00"},
        {"sku": "MOUSE-LOGI-M170", "quantity": 2, "unit_price": "79.90"},
    ],
    "total": "4659.70",
}
"""A till's sale of two demo-catalog products, one of them discounted."""

_SEGMENT_ORDER: dict[str, Any] = {
    "type": "track",
    "event": "Order Completed",
    "userId": "019mr8mf4r",
    "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
    "properties": {
        "checkout_id": "fksdjfsdjfisjf9sdfjsd9f",
        "order_id": "50314b8e9bcf000000000000",
        "affiliation": "Google Store",
        "revenue": 25.00,
        "discount": 2.5,
        "coupon": "hasbros",
        "currency": "USD",
        "products": [
            {"product_id": "507f1f77bcf86cd7", "sku": "45790-32", "price": 19, "quantity": 1},
            {"product_id": "505bd76785ebb509", "sku": "46493-32", "price": 3, "quantity": 2},
        ],
    },
}
"""A web shop's Order Completed message as the Segment SDKs send it."""


def sale_event(occurred_at: datetime, **fields: Any) -> dict[str, Any]:
    """The sample sale with a fresh event_id at `occurred_at`; `fields` replace its own."""
    return copy.deepcopy(_SALE) | {
        "event_id": f"EV{uuid.uuid4().hex.upper()}",
        "occurred_at": occurred_at.isoformat(),
        **fields,
    }


def segment_order(**properties: Any) -> dict[str, Any]:
    """The sample Order Completed with a fresh messageId, a minute old; `properties` replace its
    own, and None removes one."""
    message = copy.deepcopy(_SEGMENT_ORDER)
    message["messageId"] = str(uuid.uuid4())
    message["timestamp"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    for key, value in properties.items():
        if value is None:
            message["properties"].pop(key, None)
        else:
            message["properties"][key] = value
    return message


def emulated_settings(endpoint: str, workdir: Path) -> Settings:
    """Settings of a run against the emulator at `endpoint`: state and lake under `workdir`,
    resource names of its own (made here, as `salesflow up` makes them)."""
    settings = Settings(
        aws_endpoint_url=endpoint,
        name_prefix=f"b{uuid.uuid4().hex[:8]}",
        state_dir=workdir / "state",
        lake_uri=str(workdir / "lake"),
    )
    bootstrap_resources(settings, lake_uri=settings.lake_uri)
    return settings


def child_env(settings: Settings, pycache: Path) -> dict[str, str]:
    """The environment a child process needs to see the same settings and the emulator.

    Children keep compiled bytecode in `pycache`, so each start does not compile boto3, pyarrow
    and pydantic again.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("SALESFLOW_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return (
        env
        | FAKE_CREDENTIALS
        | {
            "PYTHONPYCACHEPREFIX": str(pycache),
            "SALESFLOW_AWS_ENDPOINT_URL": settings.aws_endpoint_url or "",
            "SALESFLOW_NAME_PREFIX": settings.name_prefix,
            "SALESFLOW_STATE_DIR": str(settings.state_dir),
            "SALESFLOW_LAKE_URI": settings.lake_uri,
        }
    )


def worker_result(module: str, *arguments: str) -> dict[str, Any]:
    """Run `python -m module --worker ARGUMENTS` in a process of its own (so its peak memory is
    its own) and return the JSON object its last output line holds."""
    command = [sys.executable, "-m", module, "--worker", *arguments]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{module} worker failed:\n{result.stderr[-4000:]}")
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured
