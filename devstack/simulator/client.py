"""An HTTP client of the ingest API that never loses track of an event.

A 2xx means the event is durably in the stream. A 503, a 429, a 502/504 or a broken connection
mean "not stored, or not known to be stored": the client resends the very same payload (same
`event_id`, so the platform counts it once) with exponential backoff, honouring `Retry-After`.
Only an event answered 4xx is given up as rejected; one whose retries run out is reported as
unconfirmed, because the stream may or may not hold it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from devstack.errors import DevstackError

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
SINGLE_PATH = "/v1/sales"
BATCH_PATH = "/v1/sales/batch"
REPORT_PATH = "/v1/reconciliations"


class ApiKeyRefusedError(DevstackError):
    """The API answered 401: retrying cannot help, the key or its configuration is wrong."""


@dataclass
class Delivery:
    """The outcome of sending some events, by their position in what was sent."""

    acknowledged: list[int] = field(default_factory=list)
    rejected: dict[int, list[Any]] = field(default_factory=dict)
    unconfirmed: list[int] = field(default_factory=list)
    requests: int = 0
    retries: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: float = 0.2
    max_delay: float = 5.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max attempts must be at least 1, got {self.max_attempts}")

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Full-jitter exponential backoff, never shorter than the server's `Retry-After`."""
        backoff = random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
        try:
            floor = float(retry_after) if retry_after else 0.0
        except ValueError:
            floor = 0.0
        return max(backoff, min(floor, self.max_delay))


class IngestClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 15.0,
        max_connections: int = 32,
    ) -> None:
        self._retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"X-API-Key": api_key, "Content-Type": "application/json"},
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections),
        )

    async def __aenter__(self) -> IngestClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    async def send_one(self, payload: dict[str, Any]) -> Delivery:
        delivery = Delivery()
        body = json.dumps(payload).encode()
        for attempt in range(self._retry.max_attempts):
            response = await self._post(SINGLE_PATH, body, delivery, attempt)
            if response is None or response.status_code in RETRYABLE_STATUSES:
                continue
            if response.is_success:
                delivery.acknowledged.append(0)
            else:
                delivery.rejected[0] = _errors_of(response)
            return delivery
        delivery.unconfirmed.append(0)
        return delivery

    async def send_batch(self, payloads: Sequence[dict[str, Any]]) -> Delivery:
        """Send up to 500 events in one request; after a 503 resend only the unstored ones."""
        delivery = Delivery()
        pending = list(range(len(payloads)))
        for attempt in range(self._retry.max_attempts):
            body = json.dumps({"events": [payloads[i] for i in pending]}).encode()
            response = await self._post(BATCH_PATH, body, delivery, attempt)
            if response is None:
                continue
            if response.is_success or response.status_code in (422, 503):
                pending = self._settle_batch(response, pending, delivery)
                if not pending:
                    return delivery
                continue
            if response.status_code in RETRYABLE_STATUSES:
                continue
            errors = _errors_of(response)
            delivery.rejected.update((index, errors) for index in pending)
            return delivery
        delivery.unconfirmed.extend(pending)
        return delivery

    async def send_report(self, body: dict[str, Any]) -> list[Any] | None:
        """Send an end-of-day report until the API answers; None once stored (or equal to the
        one in force), else the errors it was refused with. Retried like events."""
        raw = json.dumps(body).encode()
        attempts = Delivery()
        for attempt in range(self._retry.max_attempts):
            response = await self._post(REPORT_PATH, raw, attempts, attempt)
            if response is None or response.status_code in RETRYABLE_STATUSES:
                continue
            return None if response.is_success else _errors_of(response)
        return [{"message": f"no answer after {self._retry.max_attempts} attempts"}]

    def _settle_batch(
        self, response: httpx.Response, pending: list[int], delivery: Delivery
    ) -> list[int]:
        """Sort a batch answer's events into acknowledged, rejected and still to send."""
        body = response.json() if response.content else {}
        if response.status_code == 422 and not body.get("rejected"):
            delivery.rejected.update((index, body.get("errors", [])) for index in pending)
            return []
        rejected = {item["index"]: item.get("errors", []) for item in body.get("rejected", [])}
        unavailable = {item["index"] for item in body.get("unavailable", [])}
        if response.status_code == 503 and "unavailable" not in body:
            unavailable = set(range(len(pending))) - set(rejected)
        still_pending = []
        for position, index in enumerate(pending):
            if position in rejected:
                delivery.rejected[index] = rejected[position]
            elif position in unavailable:
                still_pending.append(index)
            else:
                delivery.acknowledged.append(index)
        return still_pending

    async def _post(
        self, path: str, body: bytes, delivery: Delivery, attempt: int
    ) -> httpx.Response | None:
        """One attempt; None (after the backoff pause) when the connection failed."""
        if attempt:
            delivery.retries += 1
        delivery.requests += 1
        try:
            response = await self._http.post(path, content=body)
        except httpx.TransportError as error:
            logger.info("ingest API unreachable, will retry", extra={"error": type(error).__name__})
            await asyncio.sleep(self._retry.delay(attempt, None))
            return None
        if response.status_code == 401:
            raise ApiKeyRefusedError(
                f"the ingest API at {self._http.base_url} refused the API key (401): pass the key "
                "from <state-dir>/api-key with --api-key"
            )
        if response.status_code in RETRYABLE_STATUSES:
            logger.info("ingest API busy, will retry", extra={"status": response.status_code})
            await asyncio.sleep(self._retry.delay(attempt, response.headers.get("Retry-After")))
        return response


def _errors_of(response: httpx.Response) -> list[Any]:
    try:
        body = response.json()
    except ValueError:
        return [{"status": response.status_code, "message": response.text[:500]}]
    errors: list[Any] = body.get("errors") or [
        {"status": response.status_code, "message": body.get("message", "")}
    ]
    return errors
