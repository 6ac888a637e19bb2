"""When people buy: the daily and weekly rhythm of each store, in its own local time.

Physical stores sell only while open (mall hours: 10:00-22:00 Monday to Saturday, 14:00-20:00 on
Sunday) with a lunch and an after-work peak and Saturday as the best day; the web shop sells
around the clock with an evening peak and a slow Sunday. The simulator multiplies its average
rate by `Rhythm.intensity`, whose mean over a week is 1, and picks stores by `store_weights`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from contract.event import Channel
from contract.reference import Store

DEFAULT_TIME_ZONE = "America/Sao_Paulo"
STATE_TIME_ZONES = {"AM": "America/Manaus"}
"""States whose clocks differ from Brasília time; every other state listed uses it."""

_POS_HOURLY = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 6, 9, 9, 7, 6, 7, 8, 10, 10, 8, 5, 0, 0)
_WEB_HOURLY = (3, 2, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 8, 8, 7, 7, 7, 8, 9, 10, 11, 12, 10, 6)
_POS_SUNDAY_HOURS = range(14, 20)
_POS_WEEKDAY = (0.9, 0.85, 0.9, 0.95, 1.15, 1.45, 0.6)
"""Monday..Sunday multipliers for stores: Saturday is the best day, Sunday the shortest."""
_WEB_WEEKDAY = (1.2, 1.1, 1.05, 1.0, 0.95, 0.85, 0.85)
_SUNDAY = 6


def store_time_zone(store: Store) -> ZoneInfo:
    return ZoneInfo(STATE_TIME_ZONES.get(store.state or "", DEFAULT_TIME_ZONE))


def is_open(store: Store, at: datetime) -> bool:
    """Whether a store takes sales at `at` on its own clock (the web shop never closes)."""
    if store.channel is Channel.ECOMMERCE:
        return True
    local = at.astimezone(store_time_zone(store))
    if local.weekday() == _SUNDAY:
        return local.hour in _POS_SUNDAY_HOURS
    return _POS_HOURLY[local.hour] > 0


def local_shape(channel: Channel, local: datetime) -> float:
    """Relative busyness of one store of `channel` at its local time (0 when closed)."""
    weekday = local.weekday()
    if channel is Channel.ECOMMERCE:
        return _WEB_HOURLY[local.hour] * _WEB_WEEKDAY[weekday]
    if weekday == _SUNDAY and local.hour not in _POS_SUNDAY_HOURS:
        return 0.0
    return _POS_HOURLY[local.hour] * _POS_WEEKDAY[weekday]


@dataclass(frozen=True)
class StoreTraffic:
    store: Store
    weight: float
    """The store's share of the chain's sales when everything is open."""


class Rhythm:
    """Busyness of the whole chain over time; `flat=True` keeps it constant (tests, benchmarks)."""

    def __init__(self, stores: list[StoreTraffic], *, flat: bool = False) -> None:
        if not stores:
            raise ValueError("a rhythm needs at least one store")
        self._stores = stores
        self._zones = [store_time_zone(traffic.store) for traffic in stores]
        self._flat = flat
        self._weekly_mean = self._mean_raw_intensity()

    def store_weights(self, at: datetime) -> list[tuple[Store, float]]:
        """Each store's chance to make the next sale at `at`: its weight times its shape."""
        weights = []
        for traffic, zone in zip(self._stores, self._zones, strict=True):
            local = at.astimezone(zone)
            if self._flat:
                weight = traffic.weight if is_open(traffic.store, local) else 0.0
            else:
                weight = traffic.weight * local_shape(traffic.store.channel, local)
            weights.append((traffic.store, weight))
        if self._flat and not any(weight for _, weight in weights):
            return [(traffic.store, traffic.weight) for traffic in self._stores]
        return weights

    def intensity(self, at: datetime) -> float:
        """The rate multiplier at `at`: 1.0 on average over a week, 1.0 always when flat."""
        if self._flat:
            return 1.0
        return self._raw_intensity(at) / self._weekly_mean

    def _raw_intensity(self, at: datetime) -> float:
        return sum(weight for _, weight in self.store_weights(at))

    def _mean_raw_intensity(self) -> float:
        if self._flat:
            return 1.0
        start = datetime(2026, 1, 5, tzinfo=ZoneInfo(DEFAULT_TIME_ZONE))
        samples = [self._raw_intensity(start + timedelta(minutes=30 * i)) for i in range(7 * 48)]
        return sum(samples) / len(samples)
