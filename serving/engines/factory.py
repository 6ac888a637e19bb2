"""The engine `settings.serving_engine` names, built lazily so DuckDB never loads boto3 and the
other way round."""

from __future__ import annotations

from contract.settings import Settings
from serving.engines.base import QueryEngine


def build_engine(settings: Settings) -> QueryEngine:
    if settings.serving_engine == "athena":
        from serving.engines.athena_engine import AthenaEngine

        return AthenaEngine(settings)
    from serving.engines.duckdb_engine import DuckDBEngine

    return DuckDBEngine(settings)
