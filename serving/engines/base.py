"""The query-engine protocol the API talks to, its result type and its errors.

Every engine takes SQL in the Athena dialect (the one dialect the serving SQL is written in) and
returns typed Python values: Decimal for DECIMAL, date, datetime (naive for `timestamp`, aware
for `timestamp with time zone`), int, str.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from serving.errors import ServingError
from serving.published_run import PublishedRun


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


class QueryEngine(Protocol):
    def refresh(self) -> PublishedRun:
        """Serve the run `gold/_published.json` points to now, re-creating the views if it
        changed; returns it."""
        ...

    def query(self, sql: str) -> QueryResult:
        """Run one Athena-dialect SELECT and return all its rows."""
        ...

    @property
    def version(self) -> int:
        """How many times what the engine serves has changed since it was first installed (a
        new run, new files merged): an answer computed at an older version is stale."""
        ...

    def close(self) -> None: ...


class QueryError(ServingError):
    """A query could not be answered; the message says why and what to do."""


class QueryFailedError(QueryError):
    """The engine rejected or failed the query (syntax, permissions, missing data)."""


class QueryCancelledError(QueryError):
    """Someone (or a workgroup limit) cancelled the query before it finished."""


class QueryTimeoutError(QueryError):
    """The query did not finish within the configured time; it was cancelled."""
