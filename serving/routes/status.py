"""`GET /v1/freshness`, `GET /v1/display`, `GET /healthz` and the dashboard page at `/`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from serving.deps import ServiceDep
from serving.models import Display, Freshness
from serving.routes.reconciliations import with_panel

DASHBOARD = Path(__file__).parent.parent / "static" / "dashboard.html"

router = APIRouter()


@router.get("/v1/freshness", response_model=Freshness, tags=["status"])
async def freshness(service: ServiceDep) -> BaseModel:
    """Age of the newest landed event, the cutoff T and the last published batch run."""
    return await service.freshness()


@router.get("/v1/display", response_model=Display, tags=["status"])
async def display(service: ServiceDep) -> BaseModel:
    """How to show the numbers: locale, the reporting zone's country, the stores' currency, and
    the limits of a request (dimensions, longest range, most buckets)."""
    return await service.display()


@router.get("/healthz", tags=["status"])
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@cache
def dashboard_html() -> str:
    """Read once per process: the page is static, its numbers come from the API."""
    return with_panel(DASHBOARD.read_text())


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def dashboard() -> HTMLResponse:
    return HTMLResponse(dashboard_html(), headers={"Cache-Control": "no-cache"})
