"""Dependency aliases for the routes: the app's settings, sink, service, and the caller's source.

Everything comes from `request.app.state`, set by `create_app`, so nothing is built at import
time and a test can run many apps with different settings side by side.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security

from contract.settings import Settings
from ingest_api.auth import api_key_scheme, source_for_key
from ingest_api.metrics import IngestMetrics
from ingest_api.service import IngestService
from ingest_api.sinks import Sink


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _sink(request: Request) -> Sink:
    sink: Sink = request.app.state.service.sink
    return sink


def _service(request: Request) -> IngestService:
    service: IngestService = request.app.state.service
    return service


def _metrics(request: Request) -> IngestMetrics:
    metrics: IngestMetrics = request.app.state.metrics
    return metrics


def _source(request: Request, api_key: Annotated[str | None, Security(api_key_scheme)]) -> str:
    return source_for_key(api_key, request.app.state.settings.api_keys)


SettingsDep = Annotated[Settings, Depends(_settings)]
SinkDep = Annotated[Sink, Depends(_sink)]
ServiceDep = Annotated[IngestService, Depends(_service)]
MetricsDep = Annotated[IngestMetrics, Depends(_metrics)]
SourceDep = Annotated[str, Depends(_source)]
"""The name of the API key the request authenticated with; 401 before anything else otherwise."""
