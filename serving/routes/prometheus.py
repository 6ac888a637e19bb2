"""`GET /metrics`: the serving process's Prometheus figures (today the reconciliation check's).

The registry is the app's own (`app.state.registry`), so tests can run many apps side by side."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["status"])


@router.get("/metrics", response_class=PlainTextResponse)
async def prometheus_metrics(request: Request) -> PlainTextResponse:
    """Prometheus text format."""
    return PlainTextResponse(
        generate_latest(request.app.state.registry).decode(), media_type=CONTENT_TYPE_LATEST
    )
