"""`create_app(settings, sink=None)`: the ingest API as a FastAPI app, no import-time state.

The app owns its sink: it is built from the settings unless one is given, and closed when the
app shuts down. Routes find settings, service and metrics on `app.state` through `deps`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from contract.event import SaleEvent
from contract.lake_io import LakeFiles
from contract.reconciliation import ReconciliationReport, ReportStore
from contract.settings import Settings
from contract.telemetry import fastapi_telemetry
from ingest_api.auth import SECURITY_SCHEME, SECURITY_SCHEME_NAME
from ingest_api.errors import ApiError, api_error_handler
from ingest_api.fast_path import FastPathMiddleware
from ingest_api.metrics import IngestMetrics
from ingest_api.middleware import RequestIdMiddleware
from ingest_api.models import BatchRequest
from ingest_api.rate_limit import RateLimiter
from ingest_api.readiness import ReadinessCheck
from ingest_api.routes import health, reconciliations, sales, segment
from ingest_api.service import IngestService
from ingest_api.sinks import Sink, build_sink

API_VERSION = "1.0.0"


class IngestApp(FastAPI):
    def openapi(self) -> dict[str, Any]:
        """The generated schema plus what the event routes handle by hand: the request-body
        schemas and the API-key security scheme."""
        if self.openapi_schema is None:
            schema = super().openapi()
            _, definitions = models_json_schema(
                [
                    (SaleEvent, "validation"),
                    (BatchRequest, "validation"),
                    (ReconciliationReport, "validation"),
                ],
                ref_template="#/components/schemas/{model}",
            )
            components = schema.setdefault("components", {})
            for name, model_schema in definitions["$defs"].items():
                model_schema.pop("$id", None)
                components.setdefault("schemas", {})[name] = model_schema
            components.setdefault("securitySchemes", {})[SECURITY_SCHEME_NAME] = SECURITY_SCHEME
            self.openapi_schema = schema
        return self.openapi_schema


def create_app(
    settings: Settings, sink: Sink | None = None, metrics: IngestMetrics | None = None
) -> FastAPI:
    """The ingest API for `settings`; `sink` and `metrics` replace what settings would build.
    Reconciliation reports go to the lake of `settings.lake_uri`, never to the sink."""
    metrics = metrics or IngestMetrics()
    service = IngestService(sink=sink or build_sink(settings, metrics), metrics=metrics)

    readiness = ReadinessCheck(service.sink, settings.readiness_check_seconds)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await readiness.start()
        try:
            yield
        finally:
            await readiness.stop()
            await service.sink.close()

    app = IngestApp(
        title="salesflow ingest API",
        version=API_VERSION,
        description="Validated sale and return events into Kinesis or SQS; the tills' "
        "end-of-day reports into the lake.",
        lifespan=lifespan,
        telemetry=fastapi_telemetry(settings),
    )
    app.state.settings = settings
    app.state.service = service
    app.state.metrics = metrics
    app.state.reports = ReportStore(LakeFiles.open(settings.lake_uri, settings))
    app.state.limiter = RateLimiter.from_settings(settings)
    app.state.readiness = readiness
    app.add_exception_handler(ApiError, api_error_handler)
    routers = (sales.router, segment.router, reconciliations.router, health.router)
    for router in routers:
        app.include_router(router)
    app.add_middleware(
        FastPathMiddleware, routes=[route for router in routers for route in router.routes]
    )
    app.add_middleware(RequestIdMiddleware)
    return app
