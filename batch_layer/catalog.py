"""The batch job's last step on AWS: the catalog follows the pointer it just wrote (ADR 0008).

With `SALESFLOW_PUBLISH_CATALOG=athena` the Glue tables and Athena views move to the published run
through the serving layer's own code (`serving.catalog_sync`, the one implementation; ADR 0003
says why the batch layer may import it), so Athena and QuickSight users see each run even when no
serving instance runs. Importing this module imports the serving layer, which the CLI does before
the run starts: a job environment without it fails before the Spark work, not after.

A failed sync never unpublishes: the pointer is already the truth and the catalog merely stale.
The process then exits with CATALOG_STALE_EXIT_CODE after logging the run id, so EMR marks the job
run failed and the failed-run alarm fires; `salesflow batch sync-catalog` retries the sync alone.
"""

from __future__ import annotations

import logging

from contract.settings import Settings
from serving.catalog_sync import sync_catalog
from serving.errors import CatalogSyncError

logger = logging.getLogger(__name__)

CATALOG_STALE_EXIT_CODE = 3
"""Exit status of a job whose run is published but whose catalog sync failed (a failed run: 1)."""


def sync_published_catalog(settings: Settings, published_run_id: str | None) -> int:
    """Move the catalog to the published run; 0, or CATALOG_STALE_EXIT_CODE after logging why.

    `published_run_id` is the run this process published (None for a sync on its own); the sync
    itself installs whatever the pointer names when it runs.
    """
    try:
        sync_catalog(settings)
    except CatalogSyncError as error:
        logger.error(
            "catalog not moved to the published run: the run stays published, the Glue tables "
            "and Athena views are stale; retry with `salesflow batch sync-catalog`",
            extra={"run_id": published_run_id, "error": str(error)},
        )
        return CATALOG_STALE_EXIT_CODE
    return 0
