"""The batch layer's errors: the nightly job, the CSV and history loaders, reference data."""

from __future__ import annotations

from contract.errors import SalesflowError


class BatchLayerError(SalesflowError):
    """Root of the batch layer's errors."""
