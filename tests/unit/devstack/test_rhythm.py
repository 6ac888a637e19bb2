from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from devstack.catalog import build_catalog
from devstack.simulator.rhythm import Rhythm, StoreTraffic, is_open

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.fixture(scope="module")
def stores():
    catalog = build_catalog()
    return [StoreTraffic(store, catalog.traffic_weight(store.store_id)) for store in catalog.stores]


def _weights(rhythm: Rhythm, at: datetime) -> dict[str, float]:
    return {store.store_id: weight for store, weight in rhythm.store_weights(at)}


def test_only_the_web_shop_sells_at_three_in_the_morning(stores):
    weights = _weights(Rhythm(stores), datetime(2026, 11, 18, 3, 0, tzinfo=SAO_PAULO))
    assert {store for store, weight in weights.items() if weight > 0} == {"WEB-01"}


def test_saturday_afternoon_is_busier_than_tuesday_morning(stores):
    rhythm = Rhythm(stores)
    saturday = rhythm.intensity(datetime(2026, 11, 21, 15, 0, tzinfo=SAO_PAULO))
    tuesday = rhythm.intensity(datetime(2026, 11, 17, 10, 30, tzinfo=SAO_PAULO))
    night = rhythm.intensity(datetime(2026, 11, 17, 4, 0, tzinfo=SAO_PAULO))
    assert saturday > tuesday > night > 0


def test_intensity_averages_to_one_over_a_week(stores):
    rhythm = Rhythm(stores)
    start = datetime(2026, 3, 2, tzinfo=SAO_PAULO)
    samples = [rhythm.intensity(start + timedelta(minutes=20 * i)) for i in range(7 * 72)]
    assert sum(samples) / len(samples) == pytest.approx(1.0, rel=0.05)


def test_stores_keep_sunday_mall_hours_in_their_own_time_zone(stores):
    by_id = {traffic.store.store_id: traffic.store for traffic in stores}
    sunday_noon = datetime(2026, 11, 22, 12, 0, tzinfo=SAO_PAULO)
    sunday_three = datetime(2026, 11, 22, 15, 0, tzinfo=SAO_PAULO)
    assert not is_open(by_id["SP-PAULISTA-01"], sunday_noon)
    assert is_open(by_id["SP-PAULISTA-01"], sunday_three)
    manaus = by_id["AM-MANAUS-01"]
    assert not is_open(manaus, datetime(2026, 11, 18, 10, 30, tzinfo=SAO_PAULO))
    assert is_open(manaus, datetime(2026, 11, 18, 11, 30, tzinfo=SAO_PAULO))


def test_flat_rhythm_keeps_the_rate_but_not_the_opening_hours_of_closed_stores(stores):
    rhythm = Rhythm(stores, flat=True)
    night = datetime(2026, 11, 18, 3, 0, tzinfo=SAO_PAULO)
    assert rhythm.intensity(night) == 1.0
    assert {s for s, w in _weights(rhythm, night).items() if w > 0} == {"WEB-01"}
