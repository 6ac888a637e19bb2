"""The boundary instant T a batch run reads its inputs with and publishes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
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


class _UnknownOffset(tzinfo):
    """A zone that cannot say its offset: such a time is naive for Python, whatever its tzinfo."""

    def utcoffset(self, moment: datetime | None) -> timedelta | None:
        return None

    def dst(self, moment: datetime | None) -> timedelta | None:
        return None

    def tzname(self, moment: datetime | None) -> str | None:
        return None


def test_t_in_a_zone_without_an_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        boundary_instant(datetime(2026, 11, 21, 13, 45, 10, tzinfo=_UnknownOffset()))
