"""Both APIs send OpenTelemetry spans to the process's provider only when settings ask."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from contract.settings import Settings
from ingest_api.app import create_app as create_ingest_app
from serving.app import create_app as create_serving_app


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    """The global tracer provider, exporting to memory. It can be set once per process, so a
    second test session in the same process (mutmut runs the suite more than once) adds its
    exporter to the provider the first one set."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


APPS: dict[str, Callable[[Settings], FastAPI]] = {
    "ingest": lambda settings: create_ingest_app(settings.model_copy(update={"sink": "memory"})),
    "serving": create_serving_app,
}


@pytest.mark.parametrize("app_name", sorted(APPS))
@pytest.mark.parametrize("enabled", [False, True], ids=["default-off", "opentelemetry-on"])
def test_requests_are_traced_only_when_opentelemetry_is_on(
    spans: InMemorySpanExporter, app_name: str, enabled: bool, tmp_path: Path
) -> None:
    settings = Settings(lake_uri=str(tmp_path / "lake"), opentelemetry=enabled)
    spans.clear()
    with TestClient(APPS[app_name](settings)) as client:
        assert client.get("/healthz").status_code == 200
    names = [span.name for span in spans.get_finished_spans()]
    if enabled:
        assert any("/healthz" in name for name in names), names
    else:
        assert names == []
