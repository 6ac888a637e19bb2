"""The periodic check: the last `SALESFLOW_RECONCILIATION_LOOKBACK_DAYS` business days, compared
every `SALESFLOW_RECONCILIATION_CHECK_SECONDS`, whether or not anyone looks.

It records each changed outcome (so the history holds a gap found at night) and publishes the
figures the alarms watch: Prometheus gauges on the serving app's `/metrics`, and one log line
per check (`reconciliation checked`, with `overdue_store_days`) that a CloudWatch metric filter
turns into the metric of the unmatched-store-days alarm. The first check runs one interval after
the process starts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge
from starlette.concurrency import run_in_threadpool

from serving.reconciliation.compare import Status
from serving.reconciliation.models import Reconciliations
from serving.reconciliation.service import ReconciliationService

logger = logging.getLogger(__name__)

CHECKED_MESSAGE = "reconciliation checked"
"""The log line the CloudWatch metric filter matches (infra/terraform/modules/observability)."""


class ReconciliationMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._store_days = Gauge(
            "salesflow_reconciliation_store_days",
            "Store-days of the checked window by status (matched, gap, not_reported).",
            ["status"],
            registry=registry,
        )
        self._overdue = Gauge(
            "salesflow_reconciliation_overdue_store_days",
            "Store-days not matched although their business day ended more than the grace "
            "period ago, by status (gap, not_reported).",
            ["status"],
            registry=registry,
        )
        self._missing_events = Gauge(
            "salesflow_reconciliation_missing_events",
            "Events the reports of the checked window count that salesflow does not hold.",
            registry=registry,
        )
        self._last_check = Gauge(
            "salesflow_reconciliation_last_check_timestamp_seconds",
            "When the last periodic check finished (Unix time).",
            registry=registry,
        )
        self._checks = Counter(
            "salesflow_reconciliation_checks",
            "Periodic checks by outcome (ok, failed).",
            ["outcome"],
            registry=registry,
        )

    def checked(self, result: Reconciliations) -> None:
        for status in Status:
            self._store_days.labels(status.value).set(result.statuses.get(status.value, 0))
        for status in (Status.GAP, Status.NOT_REPORTED):
            overdue = sum(row.overdue and row.status is status for row in result.rows)
            self._overdue.labels(status.value).set(overdue)
        self._missing_events.set(sum(row.missing_events for row in result.rows))
        self._last_check.set(time.time())
        self._checks.labels("ok").inc()

    def failed(self) -> None:
        self._checks.labels("failed").inc()


def check(service: ReconciliationService, metrics: ReconciliationMetrics) -> Reconciliations:
    """Compare the lookback window once, update the metrics and log the figures."""
    today = service.today()
    first = today - timedelta(days=service.lookback_days - 1)
    result = service.reconciliations(first, today, None)
    metrics.checked(result)
    logger.info(
        CHECKED_MESSAGE,
        extra={
            "overdue_store_days": result.overdue,
            "first_day": first.isoformat(),
            "last_day": today.isoformat(),
            **{f"{status}_store_days": count for status, count in result.statuses.items()},
        },
    )
    return result


async def run_checks(
    service: ReconciliationService, metrics: ReconciliationMetrics, interval_seconds: float
) -> None:
    """Check every `interval_seconds` until cancelled; a failed check is logged and counted, and
    the next one runs on schedule."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await run_in_threadpool(check, service, metrics)
        except Exception:
            metrics.failed()
            logger.warning("reconciliation check failed", exc_info=True)
