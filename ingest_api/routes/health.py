"""`/healthz` (the process answers), `/readyz` (the sink was reachable at its last check, see
`ingest_api.readiness`), `/metrics` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from ingest_api.deps import MetricsDep, ReadinessDep
from ingest_api.errors import json_response
from ingest_api.models import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Liveness: the process answers")
async def healthz() -> Response:
    return json_response(200, {"status": "ok", "detail": ""})


@router.get(
    "/readyz",
    response_model=Health,
    summary="Readiness: the stream or queue was reachable at the last check",
    description="Answered from the last background check (every "
    "SALESFLOW_READINESS_CHECK_SECONDS), never by probing the sink per request.",
    responses={503: {"model": Health, "description": "The sink is not reachable."}},
)
async def readyz(check: ReadinessDep) -> Response:
    readiness = check.latest()
    if readiness.ready:
        return json_response(200, {"status": "ready", "detail": readiness.detail})
    return json_response(503, {"status": "unavailable", "detail": readiness.detail})


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}}
    },
)
async def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
