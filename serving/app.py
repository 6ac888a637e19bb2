"""The query API and dashboard app factory: one app per Settings, engine injectable for tests."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from contract.settings import Settings
from contract.telemetry import fastapi_telemetry
from serving.engines.base import QueryEngine, QueryError, QueryTimeoutError
from serving.engines.factory import build_engine
from serving.published_run import PublicationError
from serving.routes import metrics, status
from serving.service import ServingService

logger = logging.getLogger(__name__)


def create_app(settings: Settings, engine: QueryEngine | None = None) -> FastAPI:
    """The app serving `settings`' lake. An engine passed in stays the caller's to close; one
    built here from `settings.serving_engine` is closed when the app shuts down."""
    owned = engine is None
    service = ServingService(settings, engine or build_engine(settings))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                service.engine.close()

    app = FastAPI(
        title="salesflow query API",
        description="Merged real-time + batch sales metrics and the live dashboard.",
        version="1",
        lifespan=lifespan,
        telemetry=fastapi_telemetry(settings),
    )
    app.state.service = service
    app.include_router(metrics.router)
    app.include_router(status.router)
    app.add_exception_handler(QueryError, _query_failed)
    app.add_exception_handler(PublicationError, _query_failed)
    return app


async def _query_failed(_: Request, error: Exception) -> JSONResponse:
    logger.warning("query failed", extra={"error_type": type(error).__name__})
    status_code = 504 if isinstance(error, QueryTimeoutError) else 503
    return JSONResponse(
        {"detail": str(error)}, status_code=status_code, headers={"Retry-After": "5"}
    )
