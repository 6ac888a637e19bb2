"""The speed layer's errors, under one root so a caller can catch everything it refuses."""

from __future__ import annotations

from contract.errors import SalesflowError


class SpeedLayerError(SalesflowError):
    """Root of the speed layer's errors."""


class MissingResourceError(SpeedLayerError):
    """A stream or queue the poller needs does not exist."""


class CheckpointLockedError(SpeedLayerError):
    """Another poller already consumes this stream from this state dir."""


class DeadLetterError(SpeedLayerError):
    """The dead-letter queue refused records; the caller must not checkpoint past them."""


class RecordNotLandedError(SpeedLayerError):
    """The record's Parquet file could not be written; Lambda will deliver it again."""


class ProtocolError(SpeedLayerError):
    """The KCL daemon sent something the protocol does not allow; the daemon restarts the child."""
