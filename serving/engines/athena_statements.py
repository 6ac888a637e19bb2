"""One Athena statement run to its end: StartQueryExecution in the configured workgroup, then
polling with capped exponential backoff and jitter until it succeeded, failed or timed out.

Queries and DDL go through the same loop, so the serving engine and the catalog sync (which
re-creates the views outside any engine, after the batch job published) fail the same way.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from contract.settings import Settings
from serving.engines.base import QueryCancelledError, QueryFailedError, QueryTimeoutError

logger = logging.getLogger(__name__)

FIRST_POLL_SECONDS = 0.1
MAX_POLL_SECONDS = 2.0
RUNNING_STATES = frozenset({"QUEUED", "RUNNING"})


class AthenaStatements:
    """Runs statements through one Athena client; the caller owns (and closes) the client."""

    def __init__(self, settings: Settings, athena: Any) -> None:
        self._athena = athena
        self._database = settings.glue_database
        self._workgroup = settings.athena_workgroup
        self._output_location = f"s3://{settings.athena_results_bucket}/serving/"
        self._timeout = settings.serving_query_timeout_seconds

    def run(self, sql: str) -> str:
        """Run `sql` until it succeeded and return its execution id; raise a QueryError if not."""
        started = time.monotonic()
        execution_id: str = self._athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": self._database},
            WorkGroup=self._workgroup,
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
