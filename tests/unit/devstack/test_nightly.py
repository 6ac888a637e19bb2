from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from contract.settings import Settings
from devstack.nightly import NightlySchedule, batch_cutoff, parse_clock_time

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def test_next_run_is_later_today_in_the_reporting_zone():
    schedule = NightlySchedule(time(2, 30), SAO_PAULO)
    after = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 01:00 in São Paulo
    assert schedule.next_run(after) == datetime(2026, 11, 21, 5, 30, tzinfo=UTC)


def test_next_run_moves_to_tomorrow_once_the_time_has_passed():
    schedule = NightlySchedule(time(2, 30), SAO_PAULO)
    at_the_minute = datetime(2026, 11, 21, 2, 30, tzinfo=SAO_PAULO)
    assert schedule.next_run(at_the_minute) == datetime(2026, 11, 22, 5, 30, tzinfo=UTC)


def test_cutoff_lags_the_start_so_unlanded_events_stay_in_the_speed_view():
    started = datetime(2026, 11, 21, 5, 30, tzinfo=UTC)
    assert batch_cutoff(started, Settings()) == started - timedelta(minutes=5)
    assert batch_cutoff(started, Settings(batch_cutoff_lag_seconds=60)) == started - timedelta(
        minutes=1
    )


@pytest.mark.parametrize("text", ["2:30", "24:00", "02:60", "0230", "02:30 "])
def test_malformed_times_say_the_expected_form(text):
    with pytest.raises(ValueError, match="HH:MM"):
        parse_clock_time(text)
