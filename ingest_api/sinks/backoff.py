"""Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter").

Full jitter spreads the retries of many throttled writers over the whole window instead of
letting them hit the stream again in lockstep.
"""

from __future__ import annotations

import random

BASE_DELAY_SECONDS = 0.025
MAX_DELAY_SECONDS = 1.0


def full_jitter_delay(attempt: int, *, base: float = BASE_DELAY_SECONDS) -> float:
    """Delay before retry number `attempt` (1 = first retry): uniform in [0, base * 2**attempt]."""
    ceiling = min(MAX_DELAY_SECONDS, base * 2 ** min(attempt, 16))
    return random.uniform(0.0, ceiling)
