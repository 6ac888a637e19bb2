"""The freshness probe: how long after the ingest API's 202 `/v1/metrics/sales` counts a sale.

A probe event goes to a store of its own, which no other event names, so the store's order
count says exactly how many probe events the API counts. One probe is in flight at a time: the
probe posts a sale, then asks the query API for the store's orders every `poll_seconds` until
the count grows by one, so the growth identifies that event. A random pause of up to
`max_pause_seconds` between probes keeps them out of step with the speed layer's landing and the
API's cache. The moment counted is when the answer that counts it arrived, so the figure is
at most one poll late and includes the query's own time, as a dashboard sees it.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from bench.harness import sale_event

PROBE_STORE = "BENCH-FRESHNESS-PROBE"
MAX_ATTEMPTS = 30


@dataclass(frozen=True)
class ProbeSample:
    acknowledged_at: float
    """Seconds from the run's start to the 202."""
    counted_after: float | None
    """Seconds from the 202 to the first answer counting the event; None: not within the
    timeout."""
    computed_after: float | None
    """Seconds from the 202 to that answer's `as_of` (when the API computed it): the rest is
    the time the answer spent in the API's cache."""


class Probe:
    def __init__(
        self,
        ingest_url: str,
        serve_url: str,
        api_key: str,
        zone: ZoneInfo,
        *,
        started: float,
        poll_seconds: float = 0.1,
        max_pause_seconds: float = 1.0,
        timeout_seconds: float = 120.0,
    ) -> None:
        self._ingest = httpx.Client(base_url=ingest_url, headers={"X-API-Key": api_key})
        self._serve = httpx.Client(base_url=serve_url, timeout=30.0)
        self._zone = zone
        self._first_day = datetime.now(zone).date()
        """Counts start from the run's first day: a window from "today" would lose the probes
        of the day before when a run passes midnight, and no later probe would count."""
        self._started = started
        self._poll = poll_seconds
        self._max_pause = max_pause_seconds
        self._timeout = timeout_seconds
        self._pauses = random.Random(18)
        self.samples: list[ProbeSample] = []
        self.refused = 0
        """Probe posts the API answered 503 or 429 (not stored; resent)."""
        self.query_errors = 0
        """Polls the query API did not answer 200 (timeouts, 503)."""
        self.failure: Exception | None = None

    def run(self, stop: threading.Event) -> None:
        """Probe until `stop` is set; a failure is kept in `failure` for the caller."""
        try:
            counted = self._count()
            while not stop.is_set():
                acknowledged_at, acknowledged_wall = self._post()
                sample, counted = self._wait_counted(
                    counted + 1, acknowledged_at, acknowledged_wall
                )
                self.samples.append(sample)
                stop.wait(self._pauses.uniform(0, self._max_pause))
        except Exception as error:  # the caller raises it: a thread's exception would be lost
            self.failure = error
        finally:
            self._ingest.close()
            self._serve.close()

    def _post(self) -> tuple[float, datetime]:
        """Post a probe sale until the API stores it (a 503 or 429 says it did not: the same
        event is resent after `Retry-After`, as clients do); when the 202 arrived."""
        event = sale_event(datetime.now(UTC), store_id=PROBE_STORE)
        for _ in range(MAX_ATTEMPTS):
            response = self._ingest.post("/v1/sales", json=event)
            if response.status_code == 202:
                return time.monotonic(), datetime.now(UTC)
            if response.status_code not in (429, 503):
                break
            self.refused += 1
            time.sleep(float(response.headers.get("Retry-After", "1")))
        raise RuntimeError(
            f"the ingest API answered the probe {response.status_code}: {response.text[:500]}"
        )

    def _wait_counted(
        self, expected: int, acknowledged_at: float, acknowledged_wall: datetime
    ) -> tuple[ProbeSample, int]:
        """Poll until the probe store's count reaches `expected`; the sample and the count."""
        deadline = acknowledged_at + self._timeout
        while True:
            answer = self._count_as_of()
            now = time.monotonic()
            if answer is not None and answer[0] >= expected:
                count, as_of = answer
                computed = (datetime.fromisoformat(as_of) - acknowledged_wall).total_seconds()
                sample = ProbeSample(
                    acknowledged_at - self._started, now - acknowledged_at, computed
                )
                return sample, count
            if now > deadline:
                return ProbeSample(acknowledged_at - self._started, None, None), expected
            time.sleep(self._poll)

    def _count(self) -> int:
        while (answer := self._count_as_of()) is None:
            time.sleep(self._poll)
        return answer[0]

    def _count_as_of(self) -> tuple[int, str] | None:
        """The probe store's orders from the run's first day to tomorrow (a run may pass
        midnight) and when the answer was computed; None when the API did not answer 200
        (counted in `query_errors`)."""
        today = datetime.now(self._zone).date()
        try:
            response = self._serve.get(
                "/v1/metrics/sales",
                params={
                    "from": self._first_day.isoformat(),
                    "to": (today + timedelta(days=2)).isoformat(),
                    "granularity": "total",
                    "store_id": PROBE_STORE,
                },
            )
        except httpx.TransportError:
            self.query_errors += 1
            return None
        if response.status_code != 200:
            self.query_errors += 1
            return None
        body = response.json()
        return int(body["totals"]["orders"]), str(body["as_of"])
