"""The event-source-mapping knobs the local pollers share with Lambda: batch size, batching
window, attempts before the dead-letter queue, the backoff between attempts, and the errors a
poller outlives."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from contract.settings import Settings
from speed_layer.errors import DeadLetterError

MAX_BACKOFF_SECONDS = 20.0
ERROR_PAUSE_SECONDS = 1.0
AWS_ERRORS = (BotoCoreError, ClientError, DeadLetterError)
"""What a poller survives: it pauses and goes on, since nothing was checkpointed or deleted."""


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
