"""A lake holding the must-show scenario, gold written by the oracle up to CUTOFF."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contract.settings import Settings
from tests.unit.serving.sample_lake import (
    Copy,
    expected_lines,
    write_gold,
    write_inputs,
)
from tests.unit.serving.scenario import CUTOFF, scenario_copies

TZ = "America/Sao_Paulo"


@pytest.fixture
def scenario(make_event: Callable[..., dict[str, Any]]) -> list[Copy]:
    return scenario_copies(make_event)


@pytest.fixture
def scenario_settings(tmp_path: Path, scenario: list[Copy]) -> Settings:
    lake = tmp_path / "lake"
    write_inputs(lake, scenario)
    before = [c for c in scenario if c.event.ingested_at < CUTOFF]
    write_gold(lake, expected_lines(before, TZ), CUTOFF, "run-1")
    return Settings(lake_uri=str(lake), reporting_tz=TZ, serving_cache_seconds=60)
