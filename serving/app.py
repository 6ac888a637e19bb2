"""The query API and dashboard app factory: one app per Settings, engine injectable for tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from contract.errors import PublicationError
from contract.settings import Settings
from contract.telemetry import fastapi_telemetry
from serving.customers import CustomerService, profile_store
from serving.engines.base import QueryEngine, QueryError
from serving.engines.factory import build_engine
from serving.failures import query_failed, unexpected_error
from serving.reconciliation.checker import ReconciliationMetrics, run_checks
from serving.reconciliation.service import ReconciliationService
from serving.refresher import keep_fresh
from serving.routes import customers, metrics, prometheus, reconciliations, status
from serving.service import ServingService


def create_app(settings: Settings, engine: QueryEngine | None = None) -> FastAPI:
    """The app serving `settings`' lake. An engine passed in stays the caller's to close; one
    built here from `settings.serving_engine` is closed when the app shuts down. While the app
    runs, the reconciliation check repeats every `settings.reconciliation_check_seconds` and
    the engine refreshes every `settings.serving_refresh_seconds` (`serving/refresher.py`)."""
    owned = engine is None
    service = ServingService(settings, engine or build_engine(settings))
    reconciliation = ReconciliationService(settings, service.engine)
    customer_service = CustomerService(settings, service.engine, profile_store(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        background = []
        if settings.reconciliation_check_seconds:
            check_metrics = ReconciliationMetrics(app.state.registry)
            background.append(
                run_checks(reconciliation, check_metrics, settings.reconciliation_check_seconds)
            )
        if settings.serving_refresh_seconds:
            background.append(keep_fresh(service.engine, settings.serving_refresh_seconds))
        tasks = [asyncio.create_task(job) for job in background]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            customer_service.close()
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
    app.state.registry = CollectorRegistry(auto_describe=True)
    app.state.reconciliation = reconciliation
    app.state.customers = customer_service
    app.include_router(metrics.router)
    app.include_router(reconciliations.router)
    app.include_router(prometheus.router)
    app.include_router(customers.router)
    app.include_router(status.router)
    app.add_exception_handler(QueryError, query_failed)
    app.add_exception_handler(PublicationError, query_failed)
    app.add_exception_handler(Exception, unexpected_error)
    return app
