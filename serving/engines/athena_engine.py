"""Athena as the serving engine: Glue tables from the DDL files, views and queries through
StartQueryExecution, polled with capped exponential backoff until done or timed out.

On every change of `gold/_published.json` the published tables are re-pointed at the new run
(one Glue UpdateTable each) and the views are re-created with the new T, gold first: in between,
an event ingested between the two cutoffs is in the new gold and already excluded from the
real-time side by the anti-join, so nothing is counted twice or lost (docs/adr).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Any

from contract.aws import aws_client
from contract.settings import Settings
from serving.engines.athena_results import typed_rows
from serving.engines.base import (
    QueryCancelledError,
    QueryFailedError,
    QueryResult,
    QueryTimeoutError,
)
from serving.engines.glue_tables import table_input
from serving.published_run import PublishedRun, read_published_run
from serving.sql_files import PUBLISHED_TABLES, table_statements, view_statements
from serving.table_definition import TableDefinition

logger = logging.getLogger(__name__)

FIRST_POLL_SECONDS = 0.1
MAX_POLL_SECONDS = 2.0
RUNNING_STATES = frozenset({"QUEUED", "RUNNING"})


class AthenaEngine:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._athena = aws_client(settings, "athena")
        self._glue = aws_client(settings, "glue")
        self._output_location = f"s3://{settings.athena_results_bucket}/serving/"
        self._timeout = settings.serving_query_timeout_seconds
        self._lock = threading.Lock()
        self._served: PublishedRun | None = None

    def refresh(self) -> PublishedRun:
        run = read_published_run(self._settings)
        with self._lock:
            if self._served is None or run.publication != self._served.publication:
                self._install(run)
            return run

    def query(self, sql: str) -> QueryResult:
        if self._served is None:
            self.refresh()
        execution_id = self._run(sql)
        paginator = self._athena.get_paginator("get_query_results")
        pages = [page["ResultSet"] for page in paginator.paginate(QueryExecutionId=execution_id)]
        column_info = pages[0]["ResultSetMetadata"]["ColumnInfo"] if pages else []
        columns, rows = typed_rows(column_info, [p["Rows"] for p in pages], has_header=True)
        return QueryResult(columns=columns, rows=rows)

    def execute(self, statement: str) -> None:
        """Run a statement without a result set (DDL), waiting until it succeeded."""
        self._run(statement)

    def close(self) -> None:
        self._athena.close()
        self._glue.close()

    def _install(self, run: PublishedRun) -> None:
        parameters = run.sql_parameters(self._settings.reporting_tz)
        self._ensure_database()
        for statement in table_statements(parameters).values():
            self._ensure_table(TableDefinition.parse(statement))
        for statement in view_statements(parameters).values():
            self.execute(statement)
        self._served = run
        logger.info(
            "athena serving views installed",
            extra={"run_id": run.run_id, "cutoff": run.cutoff.isoformat()},
        )

    def _ensure_database(self) -> None:
        try:
            self._glue.create_database(
                DatabaseInput={
                    "Name": self._settings.glue_database,
                    "Description": "salesflow lake tables and serving views",
                }
            )
        except self._glue.exceptions.AlreadyExistsException:
            return

    def _ensure_table(self, table: TableDefinition) -> None:
        """Create a missing table; re-point a published one (its location is per run)."""
        database = self._settings.glue_database
        definition = table_input(table)
        try:
            self._glue.create_table(DatabaseName=database, TableInput=definition)
        except self._glue.exceptions.AlreadyExistsException:
            if table.name in PUBLISHED_TABLES:
                self._glue.update_table(DatabaseName=database, TableInput=definition)

    def _run(self, sql: str) -> str:
        started = time.monotonic()
        execution_id: str = self._athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": self._settings.glue_database},
            WorkGroup=self._settings.athena_workgroup,
            ResultConfiguration={"OutputLocation": self._output_location},
        )["QueryExecutionId"]
        delay = FIRST_POLL_SECONDS
        while True:
            execution = self._athena.get_query_execution(QueryExecutionId=execution_id)
            status = execution["QueryExecution"]["Status"]
            if status["State"] not in RUNNING_STATES:
                raise_for_state(execution_id, status)
                logger.debug(
                    "athena query done",
                    extra={
                        "execution_id": execution_id,
                        "seconds": round(time.monotonic() - started, 3),
                    },
                )
                return execution_id
            elapsed = time.monotonic() - started
            if elapsed >= self._timeout:
                self._athena.stop_query_execution(QueryExecutionId=execution_id)
                raise QueryTimeoutError(
                    f"Athena query {execution_id} still {status['State']} after {elapsed:.1f} s "
                    "and was cancelled; raise SALESFLOW_SERVING_QUERY_TIMEOUT_SECONDS or narrow "
                    "the query"
                )
            time.sleep(min(delay * random.uniform(0.5, 1.0), self._timeout - elapsed))
            delay = min(delay * 2, MAX_POLL_SECONDS)


def raise_for_state(execution_id: str, status: dict[str, Any]) -> None:
    """Nothing for SUCCEEDED; a QueryFailedError or QueryCancelledError that says why."""
    state = status["State"]
    if state == "SUCCEEDED":
        return
    reason = status.get("AthenaError", {}).get("ErrorMessage") or status.get(
        "StateChangeReason", "no reason given"
    )
    if state == "CANCELLED":
        raise QueryCancelledError(
            f"Athena query {execution_id} was cancelled ({reason}); retry it, and check the "
            "workgroup's data-scanned limit if it keeps happening"
        )
    raise QueryFailedError(f"Athena query {execution_id} {state}: {reason}")
