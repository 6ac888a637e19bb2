"""The latest business date any store can have, whatever the machine's own zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contract.business_day import latest_possible_business_date


@pytest.mark.usefixtures("machine_in_sao_paulo")
def test_the_latest_business_date_is_kiribatis_whatever_the_machines_zone() -> None:
    # 11:00 UTC is already 01:00 tomorrow in Kiribati (UTC+14), but only 08:00 in Sao Paulo.
    assert latest_possible_business_date(datetime(2026, 11, 21, 11, tzinfo=UTC)) == date(
        2026, 11, 22
    )
    assert latest_possible_business_date(datetime(2026, 11, 21, 9, 59, tzinfo=UTC)) == date(
        2026, 11, 21
    )
