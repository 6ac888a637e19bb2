"""FastAPI's native OpenTelemetry for the ingest and query APIs: on only when settings ask.

FastAPI (0.165) instruments every app by default and, on every request, looks up whether an
OpenTelemetry provider is configured. With none configured, the usual case, that lookup is a
visible share of a single-event ingest request's CPU (docs/ingest_api.md, Traces), so both
apps switch it off unless `SALESFLOW_OPENTELEMETRY=true`; then FastAPI's defaults apply.
"""

from __future__ import annotations

from fastapi.telemetry import TelemetryConfig

from contract.settings import Settings

TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def fastapi_telemetry(settings: Settings) -> TelemetryConfig | None:
    """The `telemetry=` argument for `FastAPI(...)`: None keeps FastAPI's defaults."""
    return None if settings.opentelemetry else TELEMETRY_OFF
