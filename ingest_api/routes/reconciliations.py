"""`POST /v1/reconciliations`: a till's end-of-day (Z) report (docs/reconciliation.md).

A report is not a sale: it never enters the sale stream. It is validated as strictly as an
event (`contract.reconciliation.ReconciliationReport`, field paths in every refusal), checked
against the key's store binding, and stored in the lake as a new version of its scope (store,
business date, terminal) unless it equals the version in force. The serving layer compares the
report in force with the merged view. 201 when the request stored a version, 200 when it equals
the one in force (resending is safe).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from contract.event import RECEIVED_AT_CONTEXT_KEY
from contract.lake_io import WRITE_ERRORS
from contract.reconciliation import ReconciliationReport
from ingest_api.auth import API_KEY_SECURITY, store_refusal
from ingest_api.deps import authenticate
from ingest_api.errors import ApiError, json_response
from ingest_api.models import ErrorResponse, FieldError, ReconciliationAccepted
from ingest_api.parsing import field_errors, read_json_body
from ingest_api.routes.lean import LeanRoute

logger = logging.getLogger(__name__)

router = APIRouter(tags=["reconciliation"], route_class=LeanRoute)


@router.post(
    "/v1/reconciliations",
    status_code=201,
    response_model=ReconciliationAccepted,
    summary="Send a store's or a till's end-of-day report (Z report)",
    responses={
        200: {
            "model": ReconciliationAccepted,
            "description": "The report equals the one in force; nothing changed.",
        },
        201: {"description": "The report is stored: the first version, or a replacement."},
        400: {"model": ErrorResponse, "description": "The body is not valid JSON."},
        401: {"model": ErrorResponse, "description": "The X-API-Key header is missing or unknown."},
        403: {
            "model": ErrorResponse,
            "description": "The API key is bound to other stores than the report's `store_id`.",
        },
        413: {"model": ErrorResponse, "description": "The body is over the size limit."},
        415: {"model": ErrorResponse, "description": "The Content-Type is not application/json."},
        422: {"model": ErrorResponse, "description": "The report breaks its contract."},
        503: {
            "model": ErrorResponse,
            "description": "The lake could not store the report (storage failing or full); "
            "nothing is kept: resend after Retry-After.",
            "headers": {"Retry-After": {"schema": {"type": "string"}}},
        },
        429: {
            "model": ErrorResponse,
            "description": "The API key is over its rate limit (a report counts as one event); "
            "nothing is stored: resend after Retry-After.",
            "headers": {"Retry-After": {"schema": {"type": "string"}}},
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/ReconciliationReport"}
                }
            },
        },
        "security": [API_KEY_SECURITY],
    },
)
async def post_reconciliation(request: Request) -> Response:
    ingest = authenticate(request)
    ingest.admit(1)
    raw = await read_json_body(request, ingest.settings.max_body_bytes)
    received_at = datetime.now(UTC)
    try:
        report = _parse(raw, received_at)
        refusal = store_refusal(ingest.source, ingest.key.stores, report.store_id, "store_id")
        if refusal is not None:
            raise ApiError(
                403, "store_not_allowed", refusal.message, body={"errors": [refusal.model_dump()]}
            )
    except ApiError:
        ingest.metrics.reconciliation_report("rejected")
        raise
    try:
        outcome = await run_in_threadpool(
            ingest.reports.save, report, received_at=received_at, source=ingest.source
        )
    except WRITE_ERRORS as error:
        logger.exception("could not store a reconciliation report in the lake")
        ingest.metrics.reconciliation_report("rejected")
        retry = ingest.settings.retry_after_seconds
        raise ApiError(
            503,
            "report_store_unavailable",
            f"the lake could not store the report; nothing was kept: resend it after {retry}s",
            headers={"Retry-After": str(retry)},
        ) from error
    ingest.metrics.reconciliation_report(
        "replaced" if outcome.replaced else "stored" if outcome.created else "unchanged"
    )
    accepted = ReconciliationAccepted(
        store_id=report.store_id,
        business_date=report.business_date,
        terminal_id=report.terminal_id,
        version=outcome.versions,
        replaced=outcome.replaced,
        received_at=outcome.in_force.received_at,
    )
    return json_response(201 if outcome.created else 200, accepted.model_dump(mode="json"))


def _parse(raw: bytes, received_at: datetime) -> ReconciliationReport:
    """400 if the body is not JSON, 422 with field paths if it breaks the report's contract."""
    try:
        return ReconciliationReport.model_validate_json(
            raw, context={RECEIVED_AT_CONTEXT_KEY: received_at}
        )
    except ValidationError as error:
        details = error.errors(include_url=False, include_input=False)
        if details and details[0]["type"] == "json_invalid":
            reason = str(details[0]["ctx"].get("error", "invalid JSON"))
            raise ApiError(400, "malformed_json", f"the body is not valid JSON: {reason}") from None
        errors = [_worded(problem).model_dump() for problem in field_errors(details)]
        raise ApiError(
            422,
            "validation_failed",
            "the report breaks the reconciliation report contract; fix the fields listed in "
            "`errors`",
            body={"errors": errors},
        ) from None


def _worded(problem: FieldError) -> FieldError:
    """The shared field errors speak of sale events; an unknown field here is a report's."""
    if problem.type != "extra_forbidden":
        return problem
    message = "unknown field: a reconciliation report has no such field; remove it"
    return problem.model_copy(update={"message": message})
