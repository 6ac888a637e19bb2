"""The nightly job's profile load: the published run's `customer_profiles` into DynamoDB.

With `SALESFLOW_CUSTOMER_PROFILE_STORE=dynamodb` (Terraform and `salesflow up` set it), after the
pointer is written (and the catalog synced), every profile of the published run is written as an
item keyed by (customer, run), then the run's marker (`contract.profile_store`, ADR 0013). The API
only reads items of a run whose marker exists, so a load that dies half-way is invisible and
loading again rewrites the same items.

Like the catalog sync (ADR 0008), a failed load never unpublishes: gold is served, the API reads
profiles from gold through its engine until a load finishes; the process exits with
PROFILES_NOT_LOADED_EXIT_CODE after logging why, and `salesflow batch load-profiles` repeats
the load alone.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pyarrow.parquet as pq

from contract.customers import CUSTOMER_PROFILES
from contract.errors import ProfileStoreError, PublicationError
from contract.lake_io import LakeFiles
from contract.profile_store import PROFILE_RETENTION, LoadedRun, ProfileStore
from contract.publication import Publication, read_publication
from contract.settings import Settings

logger = logging.getLogger(__name__)

PROFILES_NOT_LOADED_EXIT_CODE = 4
"""Exit status of a job whose run is published but whose profiles are not in DynamoDB."""
ROWS_PER_READ = 10_000


def load_profiles(settings: Settings, publication: Publication, store: ProfileStore) -> LoadedRun:
    """Write every profile of `publication`'s run, then its marker; returns the marker."""
    files = LakeFiles.open(settings.lake_uri, settings)
    folder = publication.tables[CUSTOMER_PROFILES]
    loaded_at = datetime.now(UTC)
    written = 0
    for path in files.list_files(folder):
        if not path.endswith(".parquet"):
            continue
        with files.filesystem.open_input_file(files.location.path(path)) as source:
            for batch in pq.ParquetFile(source).iter_batches(batch_size=ROWS_PER_READ):
                written += store.put_profiles(
                    publication.run_id, batch.to_pylist(), loaded_at + PROFILE_RETENTION
                )
    expected = publication.output_counts.get(CUSTOMER_PROFILES)
    if expected is not None and written != expected:
        raise ProfileStoreError(
            f"run {publication.run_id} published {expected} profiles but {folder} holds "
            f"{written}; nothing marked loaded"
        )
    return store.mark_loaded(publication.run_id, written, loaded_at)


def load_published_profiles(settings: Settings, published_run_id: str | None) -> int:
    """Load the run the pointer names now; 0, or PROFILES_NOT_LOADED_EXIT_CODE after logging why.

    Reads the pointer again rather than trusting the caller's run, as the catalog sync does:
    the store then follows what is published. A run without customer tables (published before
    they existed) or no run at all has nothing to load."""
    try:
        publication = read_publication(LakeFiles.open(settings.lake_uri, settings))
    except (OSError, ValueError, PublicationError) as error:
        return _not_loaded(published_run_id, f"the publication pointer is unreadable: {error}")
    if publication is None or CUSTOMER_PROFILES not in publication.tables:
        logger.info("no published run with customer profiles: nothing to load")
        return 0
    store = ProfileStore(settings)
    try:
        loaded = load_profiles(settings, publication, store)
    except (ProfileStoreError, OSError) as error:
        return _not_loaded(publication.run_id, str(error))
    finally:
        store.close()
    logger.info(
        "customer profiles loaded",
        extra={
            "run_id": loaded.run_id,
            "profiles": loaded.profiles,
            "table": settings.customer_profiles_table,
        },
    )
    return 0


def _not_loaded(run_id: str | None, cause: str) -> int:
    logger.error(
        "customer profiles not loaded into DynamoDB: the run stays published and the API reads "
        "profiles from gold; retry with `salesflow batch load-profiles`",
        extra={"run_id": run_id, "error": cause},
    )
    return PROFILES_NOT_LOADED_EXIT_CODE
