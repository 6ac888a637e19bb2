"""The boundary instant T a batch run reads its inputs with and publishes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from contract.publication import boundary_instant


def test_t_is_taken_in_utc_to_the_millisecond_below() -> None:
    requested = datetime(2026, 11, 21, 10, 45, 10, 250999, tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert boundary_instant(requested) == datetime(2026, 11, 21, 13, 45, 10, 250000, tzinfo=UTC)
    assert boundary_instant(requested).tzinfo is UTC
    on_the_grid = datetime(2026, 11, 21, 13, 45, 10, 251000, tzinfo=UTC)
    assert boundary_instant(on_the_grid) == on_the_grid


def test_t_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        boundary_instant(datetime(2026, 11, 21, 13, 45, 10))
