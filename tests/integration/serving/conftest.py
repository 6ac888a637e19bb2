"""Lakes with sales (today and the same weekday last week; two years up to now; today
before any batch run) and `salesflow serve` running on them as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contract.lake import PUBLISHED_POINTER
from devstack.local_servers import free_port, stop, wait_for_http
from tests.integration.serving.history import write_history_lake
from tests.unit.serving.sample_lake import (
    STORES,
    Copy,
    expected_lines,
    ingested,
    write_bronze,
    write_gold,
    write_reference,
)

TZ = "America/Sao_Paulo"
LAST_WEEK_ITEMS = {
    "items": [{"sku": "MOUSE-LOGI-M170", "quantity": 300, "unit_price": "79.90"}],
    "total": None,
}


@pytest.fixture
def live_lake(tmp_path: Path, make_event: Callable[..., dict[str, Any]]) -> Path:
    """Gold up to an hour ago (last week's sales and today's first ones), bronze since."""
    now = datetime.now(UTC).replace(microsecond=0)
    cutoff = now - timedelta(hours=1)
    copies = []
    for index in range(24):
        store = STORES[index % len(STORES)]
        occurred = now - timedelta(minutes=7 * index + 1)
        for days_back in (0, 7):
            payload = make_event(
                store_id=store.store_id,
                channel=store.channel.value,
                occurred_at=(occurred - timedelta(days=days_back)).isoformat(),
                event_type="return" if index % 9 == 4 else "sale",
                **(LAST_WEEK_ITEMS if days_back else {}),
            )
            ingested_at = occurred - timedelta(days=days_back) + timedelta(seconds=2)
            copies.append(Copy(ingested(payload, ingested_at)))
    lake = tmp_path / "lake"
    write_reference(lake)
    write_bronze(lake, [c.event for c in copies if c.event.ingested_at >= cutoff])
    before = [c for c in copies if c.event.ingested_at < cutoff]
    write_gold(lake, expected_lines(before, TZ), cutoff, "run-live")
    return lake


@pytest.fixture
def serve_process(live_lake: Path, tmp_path: Path) -> Iterator[str]:
    """`python -m salesflow serve` on a free port; yields its base URL; stopped afterwards."""
    with serving(live_lake, tmp_path) as base_url:
        yield base_url


@pytest.fixture
def history_serve(tmp_path: Path, make_event: Callable[..., dict[str, Any]]) -> Iterator[str]:
    """`salesflow serve` over two years of sales up to now (`history.py`)."""
    lake = tmp_path / "lake"
    write_history_lake(lake, make_event)
    with serving(lake, tmp_path) as base_url:
        yield base_url


@pytest.fixture
def unbatched_serve(live_lake: Path, tmp_path: Path) -> Iterator[str]:
    """`salesflow serve` over today's sales before any batch run: bronze only, no pointer."""
    (live_lake / PUBLISHED_POINTER).unlink()
    for gold_file in (live_lake / "gold").rglob("*.parquet"):
        gold_file.unlink()
    with serving(live_lake, tmp_path) as base_url:
        yield base_url


@contextmanager
def serving(lake: Path, tmp_path: Path) -> Iterator[str]:
    """`python -m salesflow serve` on `lake` and a free port; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESFLOW_")}
    env |= {"SALESFLOW_REPORTING_TZ": TZ, "SALESFLOW_SERVING_CACHE_SECONDS": "1"}
    log = tmp_path / f"serve-{port}.log"
    command = ["serve", "--engine", "duckdb", "--port", str(port), "--lake", str(lake)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "salesflow", *command],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base_url}/healthz", process, timeout=60, log=log)
        yield base_url
    finally:
        stop(process)
