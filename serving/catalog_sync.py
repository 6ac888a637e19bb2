"""The Glue tables and Athena views of a deployment, moved to a published batch run (ADR 0008).

One implementation for both callers: the Athena engine installs a run when its `refresh()` sees a
new pointer, and the batch job (through `sync_catalog`) right after it published, so Athena and
QuickSight users see the run even when no serving instance runs. The order makes every
intermediate state safe: tables first (missing ones created, the published ones re-pointed at the
run folder with one UpdateTable each), then the views re-created in dependency order with the new
T. Every step is idempotent, so any number of callers may repeat it.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from contract.aws import aws_client
from contract.errors import PublicationError
from contract.lake import PUBLISHED_POINTER
from contract.settings import Settings
from serving.engines.athena_statements import AthenaStatements
from serving.engines.base import QueryError
from serving.engines.glue_table_input import table_input
from serving.errors import CatalogSyncError
from serving.published_run import PublishedRun, read_published_run
from serving.sql_files import PUBLISHED_TABLES, table_statements, view_statements
from serving.table_definition import TableDefinition

logger = logging.getLogger(__name__)


class CatalogSync:
    """Installs published runs into one Glue database through the caller's clients."""

    def __init__(self, settings: Settings, glue: Any, statements: AthenaStatements) -> None:
        self._settings = settings
        self._glue = glue
        self._statements = statements

    def install(self, run: PublishedRun) -> None:
        """Tables on `run` (created when missing), then the views with its cutoff T."""
        parameters = run.sql_parameters(self._settings)
        self._ensure_database()
        for statement in table_statements(parameters).values():
            self._ensure_table(TableDefinition.parse(statement))
        for statement in view_statements(parameters).values():
            self._statements.run(statement)
        logger.info(
            "catalog moved to the published run",
            extra={
                "run_id": run.run_id,
                "cutoff": run.cutoff.isoformat(),
                "glue_database": self._settings.glue_database,
            },
        )

    def _ensure_database(self) -> None:
        """Create the database only when missing: Terraform makes it, and asking first lets the
        batch job's role do without glue:CreateDatabase."""
        name = self._settings.glue_database
        try:
            self._glue.get_database(Name=name)
        except self._glue.exceptions.EntityNotFoundException:
            self._glue.create_database(
                DatabaseInput={
                    "Name": name,
                    "Description": "salesflow lake tables and serving views",
                }
            )

    def _ensure_table(self, table: TableDefinition) -> None:
        """Create a missing table; re-point a published one (its location is per run); update
        any other whose columns or location differ from the DDL (the contract gained a field,
        ADR 0012), so a deployment evolves without waiting for a Terraform apply."""
        database = self._settings.glue_database
        definition = table_input(table)
        try:
            self._glue.create_table(DatabaseName=database, TableInput=definition)
        except self._glue.exceptions.AlreadyExistsException:
            if table.name in PUBLISHED_TABLES or self._differs(table.name, definition):
                self._glue.update_table(DatabaseName=database, TableInput=definition)

    def _differs(self, name: str, definition: dict[str, Any]) -> bool:
        existing = self._glue.get_table(DatabaseName=self._settings.glue_database, Name=name)
        return bool(_shape(existing["Table"]) != _shape(definition))


def _shape(table: dict[str, Any]) -> tuple[Any, ...]:
    """What of a Glue table the DDL decides: columns, partition keys and location."""
    storage = table.get("StorageDescriptor", {})
    columns = tuple((c["Name"], c["Type"]) for c in storage.get("Columns", []))
    partitions = tuple((c["Name"], c["Type"]) for c in table.get("PartitionKeys", []))
    return columns, partitions, storage.get("Location")


def sync_catalog(settings: Settings) -> PublishedRun:
    """Move the catalog to the run `gold/_published.json` names now, without a serving engine.

    Reads the pointer instead of taking a run from the caller, so the catalog always follows
    what is published, never a run a later publication already replaced. Any failure (AWS
    refused a call, a view failed, the pointer is unreadable) is raised as a CatalogSyncError.
    """
    athena = aws_client(settings, "athena")
    glue = aws_client(settings, "glue")
    try:
        run = read_published_run(settings)
        CatalogSync(settings, glue, AthenaStatements(settings, athena)).install(run)
    except (BotoCoreError, ClientError, QueryError, PublicationError, OSError) as error:
        raise CatalogSyncError(
            f"the Glue tables and Athena views of database {settings.glue_database!r} were not "
            f"moved to the run {PUBLISHED_POINTER} of {settings.lake_uri} names: {error}"
        ) from error
    finally:
        athena.close()
        glue.close()
    return run
