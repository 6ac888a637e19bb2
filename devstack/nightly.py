"""`salesflow up`'s nightly batch run: when the next one is due, and which cutoff it uses.

The platform's promise is a nightly rebuild, so `up` schedules one at 02:30 unless told otherwise
(`--nightly-at HH:MM`, `--no-nightly`): the time the deployment's scheduler uses (docs/deploy.md),
after the shops close and before anyone reads yesterday's numbers. The time is read in the
reporting time zone (the retailer's day, not the laptop's). The cutoff T is set a few minutes
before the run starts, not at "now": an event acknowledged just before the run may still be on
its way through the stream, and an event ingested before T but not yet landed would be in
neither gold nor the real-time view until the following night.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from contract.settings import Settings

DEFAULT_NIGHTLY_AT = "02:30"
_CLOCK_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def parse_clock_time(value: str) -> time:
    match = _CLOCK_TIME.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a time of day; use HH:MM in 24-hour form, like 02:30")
    return time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class NightlySchedule:
    at: time
    zone: ZoneInfo

    def next_run(self, after: datetime) -> datetime:
        """The first moment at `at` (local to the zone) strictly after `after`, in UTC."""
        local = after.astimezone(self.zone)
        candidate = datetime.combine(local.date(), self.at, tzinfo=self.zone)
        if candidate <= local:
            candidate = datetime.combine(
                local.date() + timedelta(days=1), self.at, tzinfo=self.zone
            )
        return candidate.astimezone(UTC)


def batch_cutoff(started_at: datetime, settings: Settings) -> datetime:
    """`settings.batch_cutoff_lag_seconds` before the start, as `salesflow batch run` defaults."""
    return (started_at - timedelta(seconds=settings.batch_cutoff_lag_seconds)).astimezone(UTC)


def describe_next_run(next_run: datetime, now: datetime, zone: ZoneInfo) -> str:
    """`02:30 (in 7h 05m)`: the local time of the next run and how long until it starts."""
    minutes = max(0, int((next_run - now).total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{next_run.astimezone(zone):%H:%M} (in {hours}h {minutes:02d}m)"
