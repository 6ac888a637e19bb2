"""The event-source-mapping knobs the local pollers share with Lambda: batch size, batching
window, attempts before the dead-letter queue, and the backoff between attempts."""

from __future__ import annotations

from dataclasses import dataclass

from contract.settings import Settings

MAX_BACKOFF_SECONDS = 20.0


@dataclass(frozen=True)
class BatchingPolicy:
    batch_size: int
    window_seconds: float
    max_attempts: int
    idle_poll_seconds: float = 0.1
    """Pause between polls of an empty source: Lambda polls each shard about once a second."""

    @classmethod
    def from_settings(cls, settings: Settings) -> BatchingPolicy:
        return cls(
            batch_size=settings.speed_batch_size,
            window_seconds=settings.speed_batching_window_seconds,
            max_attempts=settings.speed_max_attempts,
        )

    def backoff_seconds(self, attempt: int) -> float:
        """Exponential: 0.5 s, 1 s, 2 s, ... capped, after the `attempt`-th failure."""
        return float(min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (attempt - 1)))
