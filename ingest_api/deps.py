"""What routes need from the app, all taken from `request.app.state` (set by `create_app`).

Nothing is built at import time, so a test can run many apps with different settings side by
side. The event routes are `LeanRoute`s and call `authenticate(request)` themselves; the
operational routes use FastAPI dependencies (`ReadinessDep`, `MetricsDep`). Those are `async def`
although they never await: FastAPI runs plain `def` dependencies in a thread pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from contract.reconciliation import ReportStore
from contract.settings import ApiKey, Settings
from ingest_api.auth import API_KEY_HEADER, api_key_for
from ingest_api.metrics import IngestMetrics
from ingest_api.rate_limit import RateLimiter, admit
from ingest_api.readiness import ReadinessCheck
from ingest_api.service import IngestService


@dataclass(frozen=True, slots=True)
class Ingest:
    """An authenticated request: the key that sent it, and the app's settings, service, metrics
    and store of reconciliation reports."""

    key: ApiKey
    settings: Settings
    service: IngestService
    metrics: IngestMetrics
    reports: ReportStore
    limiter: RateLimiter | None

    @property
    def source(self) -> str:
        return self.key.source

    @property
    def max_event_age(self) -> timedelta:
        return timedelta(days=self.settings.max_event_age_days)

    def admit(self, events: int) -> None:
        """429 with `Retry-After` when the key may not send `events` more events now."""
        admit(self.limiter, self.metrics, self.source, events)


def authenticate(request: Request) -> Ingest:
    """The request's `Ingest` context; 401 when its API key is missing or unknown."""
    state = request.app.state
    return Ingest(
        key=api_key_for(request.headers.get(API_KEY_HEADER), state.settings.api_keys),
        settings=state.settings,
        service=state.service,
        metrics=state.metrics,
        reports=state.reports,
        limiter=state.limiter,
    )


async def _metrics(request: Request) -> IngestMetrics:
    metrics: IngestMetrics = request.app.state.metrics
    return metrics


async def _readiness(request: Request) -> ReadinessCheck:
    readiness: ReadinessCheck = request.app.state.readiness
    return readiness


ReadinessDep = Annotated[ReadinessCheck, Depends(_readiness)]
MetricsDep = Annotated[IngestMetrics, Depends(_metrics)]
