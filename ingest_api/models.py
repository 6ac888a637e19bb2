"""Request and response bodies of the ingest API, as documented in its OpenAPI schema.

Request bodies are parsed by hand (see `ingest_api.parsing`) so that limits are enforced before
parsing and each event of a batch is validated on its own; these models document them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BatchRequest(BaseModel):
    """Items are documented as "a SaleEvent or anything": the batch as a whole is not refused for
    an invalid event; each one is validated on its own and reported in `rejected` (207)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    events: Annotated[
        list[Any],
        Field(
            min_length=1,
            max_length=500,
            description="1 to 500 sale events, at most 5 MiB in all.",
            json_schema_extra={
                "items": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/SaleEvent"},
                        {"description": "anything else is refused alone, in `rejected`"},
                    ]
                }
            },
        ),
    ]


class FieldError(_Response):
    path: str = Field(description="Where in the event, like `items[0].quantity`; '' = the whole.")
    message: str
    type: str = Field(description="Machine-readable error type, like `missing` or `value_error`.")


class SaleAccepted(_Response):
    event_id: str
    ingested_at: datetime


class RejectedEvent(_Response):
    index: int = Field(description="Position of the event in `events`, from 0.")
    event_id: str | None = Field(description="The event's `event_id` when it sent a string one.")
    errors: list[FieldError]


class BatchAccepted(_Response):
    accepted: int = Field(description="How many events are now durably in the stream.")
    rejected: list[RejectedEvent] = Field(description="Invalid events; fix them before resending.")
    ingested_at: datetime


class UnavailableEvent(_Response):
    index: int
    event_id: str


class ErrorResponse(_Response):
    error: str = Field(description="Machine-readable reason, like `validation_failed`.")
    message: str = Field(description="What went wrong and what to do about it.")
    errors: list[FieldError] = Field(default_factory=list)


class BatchRejected(ErrorResponse):
    """422 for a batch in which no event is valid: every event's errors, by index."""

    rejected: list[RejectedEvent] = Field(default_factory=list)


class BatchUnavailable(ErrorResponse):
    """503 for a batch: resend exactly the events in `unavailable` (resending all is safe too)."""

    accepted: int = 0
    rejected: list[RejectedEvent] = Field(default_factory=list)
    unavailable: list[UnavailableEvent] = Field(default_factory=list)


class Health(_Response):
    status: str
    detail: str = ""


class ReconciliationAccepted(_Response):
    """The report in force for the scope after the request, and whether the request changed it."""

    store_id: str
    business_date: date
    terminal_id: str | None = Field(description="None: the report covers the whole store.")
    version: int = Field(description="The version in force, from 1; earlier ones are kept.")
    replaced: bool = Field(description="This report replaced an earlier version (201).")
    received_at: datetime = Field(
        description="When the version in force was received: an identical resend (200) keeps "
        "the first one's time."
    )
