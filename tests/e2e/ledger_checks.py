"""What the end-to-end tests compare: the query API's per-day and per-store figures against the
ledgers the simulator wrote of what the ingest API acknowledged (`salesflow simulate --ledger`)."""

from __future__ import annotations

import json
import subprocess
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import get_json, salesflow

METRICS = ("net_revenue", "gross_revenue", "discount", "units", "orders", "returns")
MONEY = ("net_revenue", "gross_revenue", "discount")

Figures = dict[tuple[str, str], dict[str, Decimal | int]]


def simulate(env: dict[str, str], ingest_url: str, key: str, seed: int, ledger: Path) -> None:
    result = subprocess.run(
        salesflow(
            "simulate",
            "--duration",
            "6",
            "--rate",
            "30",
            "--flat",
            "--seed",
            str(seed),
            "--api-url",
            ingest_url,
            f"--api-key={key}",
            "--ledger",
            str(ledger),
        ),
        env=env,
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]


def ledger_figures(ledgers: list[Path]) -> Figures:
    """Per (day, store) sums over all ledgers (their event ids are disjoint by run tag)."""
    figures: Figures = defaultdict(lambda: dict.fromkeys(METRICS, 0))
    for path in ledgers:
        written = json.loads(path.read_text())
        assert written["unconfirmed_event_ids"] == []
        assert written["rejected"] == {}
        for day, stores in written["by_day_and"]["store_id"].items():
            for store, metrics in stores.items():
                row = figures[(day, store)]
                for name in METRICS:
                    value = Decimal(metrics[name]) if name in MONEY else int(metrics[name])
                    row[name] = row[name] + value
    return dict(figures)


def api_figures(serve_url: str, days: list[str]) -> tuple[Figures, dict[str, Any]]:
    start = min(days)
    end = (date.fromisoformat(max(days)) + timedelta(days=1)).isoformat()
    answer = get_json(
        f"{serve_url}/v1/metrics/sales?from={start}&to={end}&granularity=day&group_by=store_id"
    )
    figures: Figures = {
        (row["bucket"][:10], row["store_id"]): {
            name: Decimal(row[name]) if name in MONEY else int(row[name]) for name in METRICS
        }
        for row in answer["rows"]
    }
    return figures, answer


def added(*parts: Figures) -> Figures:
    """Per (day, store) sums of figures from disjoint sources (ledgers, CSV exports)."""
    total: Figures = defaultdict(lambda: dict.fromkeys(METRICS, 0))
    for figures in parts:
        for key, metrics in figures.items():
            row = total[key]
            for name in METRICS:
                row[name] = row[name] + metrics[name]
    return dict(total)


def wait_until_api_equals_ledgers(
    serve_url: str, ledgers: list[Path], timeout: float = 180
) -> dict[str, Any]:
    return wait_until_api_equals(serve_url, ledger_figures(ledgers), timeout)


def wait_until_api_equals(
    serve_url: str, expected: Figures, timeout: float = 180
) -> dict[str, Any]:
    """Poll the query API until its per (day, store) figures are `expected`, to the cent."""
    days = sorted({day for day, _ in expected})
    deadline = time.monotonic() + timeout
    while True:
        actual, answer = api_figures(serve_url, days)
        if actual == expected:
            return answer
        if time.monotonic() > deadline:
            differing = {
                key: (actual.get(key), expected.get(key))
                for key in sorted(set(actual) | set(expected))
                if actual.get(key) != expected.get(key)
            }
            pytest.fail(f"API and ledger still differ after {timeout}s: {differing}")
        time.sleep(1)


def wait_for_new_run_without_gap(
    serve_url: str, ledgers: list[Path], previous_run: str | None, timeout: float = 180
) -> dict[str, Any]:
    """Poll until the API serves a new batch run; every answer meanwhile (stale or fresh, before
    or after the boundary moved) must equal the ledger: no gap, no double count."""
    expected = ledger_figures(ledgers)
    days = sorted({day for day, _ in expected})
    deadline = time.monotonic() + timeout
    while True:
        actual, answer = api_figures(serve_url, days)
        assert actual == expected, f"run {answer['run_id']}: {actual} != {expected}"
        if answer["run_id"] not in (None, previous_run):
            return answer
        assert time.monotonic() < deadline, f"no new batch run served within {timeout}s"
        time.sleep(0.5)
