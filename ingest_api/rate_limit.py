"""Per-key rate limits: a token bucket per API key, charged one token per event.

A key's bucket holds at most `burst` tokens and refills at `rate` per second. A request costing
`n` events is admitted when the bucket holds `min(n, burst)` tokens; it then takes all `n`, so
the bucket may go negative. A batch larger than the burst is thus never refused for good, yet the
key's average never exceeds its rate: it waits the batch off before its next request. A refused
request takes nothing and learns how long to wait, which the API sends as `Retry-After`.

The buckets live in the process (one per key, so their number is bounded by the key set): with N
ingest tasks behind a load balancer a key may send up to N times its rate in all. The endpoints
run on the event loop, so the buckets need no lock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from contract.settings import Settings
from ingest_api.errors import ApiError
from ingest_api.metrics import IngestMetrics


@dataclass(slots=True)
class TokenBucket:
    rate: float
    burst: float
    tokens: float
    refilled_at: float

    def charge(self, cost: int, now: float) -> float:
        """0 if `cost` events may pass now (and takes them), else the seconds until they may."""
        self.tokens = min(self.burst, self.tokens + (now - self.refilled_at) * self.rate)
        self.refilled_at = now
        needed = min(float(cost), self.burst)
        if self.tokens >= needed:
            self.tokens -= cost
            return 0.0
        return (needed - self.tokens) / self.rate


class RateLimiter:
    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter | None:
        """The limiter `settings` ask for; None when the rate is 0 (off, the local default)."""
        rate = settings.rate_limit_events_per_second or 0.0
        if not rate:
            return None
        return cls(rate, settings.rate_limit_burst or settings.max_batch_events)

    def wait_for(self, key: str, cost: int) -> float:
        """0 if key `key` may send `cost` events now (they are counted), else seconds to wait."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, self.burst, now)
        return bucket.charge(cost, now)

    def refusal(self, key: str, cost: int) -> ApiError | None:
        """The 429 for key `key` sending `cost` events now, or None if they may pass."""
        wait = self.wait_for(key, cost)
        if not wait:
            return None
        retry_after = max(1, math.ceil(wait))
        return ApiError(
            429,
            "rate_limited",
            f"the API key {key!r} may send {self.rate:g} events per second on average (bursts "
            f"of {self.burst}); this request's {cost} events are not stored: resend them "
            f"unchanged after {retry_after}s, and spread the load or ask for a higher limit",
            headers={"Retry-After": str(retry_after)},
        )


def admit(limiter: RateLimiter | None, metrics: IngestMetrics, source: str, events: int) -> None:
    """Raise the 429 (counted per key) if key `source` may not send `events` events now."""
    if limiter is None:
        return
    refusal = limiter.refusal(source, events)
    if refusal is not None:
        metrics.rate_limited(source, events)
        raise refusal
