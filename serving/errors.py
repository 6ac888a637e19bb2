"""The serving layer's errors."""

from __future__ import annotations

from contract.errors import SalesflowError


class ServingError(SalesflowError):
    """Root of the serving layer's errors."""


class CatalogSyncError(ServingError):
    """The Glue tables or Athena views could not be moved to the published run.

    The publication itself stands: `gold/_published.json` is the truth, the catalog is stale until
    a sync succeeds (`salesflow batch sync-catalog`, or any serving instance's next refresh).
    """
