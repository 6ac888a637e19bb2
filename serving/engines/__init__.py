"""Query engines behind one protocol: Athena in AWS, DuckDB on a local lake."""

from serving.engines.base import (
    QueryCancelledError,
    QueryEngine,
    QueryError,
    QueryFailedError,
    QueryResult,
    QueryTimeoutError,
)

__all__ = [
    "QueryCancelledError",
    "QueryEngine",
    "QueryError",
    "QueryFailedError",
    "QueryResult",
    "QueryTimeoutError",
]
