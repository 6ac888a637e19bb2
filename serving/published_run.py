"""Which batch run the serving layer serves: read from `gold/_published.json` and nothing else.

Before the first publication there is no gold: the cutoff is the epoch, so the real-time view
holds every event and gold's location is a folder that does not exist (an empty table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from contract.errors import PublicationError
from contract.gold import SALES_WIDE
from contract.lake import GOLD_RUNS, PUBLISHED_POINTER, LakeLocation
from contract.lake_io import LakeFiles
from contract.publication import Publication, read_publication
from contract.settings import Settings
from serving.sql_files import PUBLISHED_TABLES, SqlParameters

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNPUBLISHED_RUN = "_unpublished"
DAY_FOLDER = "sale_date="


@dataclass(frozen=True)
class PublishedRun:
    """The published batch run (or none yet) and where its gold lives in the lake."""

    publication: Publication | None
    lake: LakeLocation

    @property
    def run_id(self) -> str | None:
        return self.publication.run_id if self.publication else None

    @property
    def cutoff(self) -> datetime:
        return self.publication.cutoff.astimezone(UTC) if self.publication else EPOCH

    def table_location(self, table: str) -> str:
        """Full URI of a published table's folder in the served run.

        The pointer names the folder of each table, relative to the lake root; a table it does
        not name (or no run at all) reads an empty folder that never exists.
        """
        folder = self.publication.tables.get(table) if self.publication else None
        if folder is None:
            folder = f"{GOLD_RUNS}/{UNPUBLISHED_RUN}/{table}"
        return self.lake.uri_of(folder.strip("/"))

    def sql_parameters(self, settings: Settings) -> SqlParameters:
        return SqlParameters(
            lake=self.lake.uri,
            published_locations={table: self.table_location(table) for table in PUBLISHED_TABLES},
            cutoff=self.cutoff,
            reporting_tz=settings.reporting_tz,
            business_day=settings.business_day,
            gold_first_day=self.gold_first_day(settings),
            dedup_days=settings.realtime_dedup_days,
        )

    def gold_first_day(self, settings: Settings) -> str:
        """The first `sale_date=D` folder of the published `sales_wide` (one listing, made when
        a run is installed), or `NOW` when gold holds no day (projection: nothing to list)."""
        if self.publication is None:
            return "NOW"
        folder = self.publication.tables[SALES_WIDE].strip("/")
        days = LakeFiles.open(settings.lake_uri, settings).list_folders(folder)
        first = next((day for day in days if day.rpartition("/")[2].startswith(DAY_FOLDER)), None)
        return first.rpartition("/")[2].removeprefix(DAY_FOLDER) if first else "NOW"


def read_published_run(settings: Settings) -> PublishedRun:
    """The run `gold/_published.json` points to; one that names no gold table is refused."""
    files = LakeFiles.open(settings.lake_uri, settings)
    lake = files.location
    publication = read_publication(files)
    if publication is None:
        return PublishedRun(publication=None, lake=lake)
    if SALES_WIDE not in publication.tables:
        raise PublicationError(
            f"{lake.uri_of(PUBLISHED_POINTER)} names no {SALES_WIDE} table; "
            "republish with `salesflow batch run`"
        )
    return PublishedRun(publication=publication, lake=lake)
