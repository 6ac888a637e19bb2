"""The boto3 clients the stream sinks use, tuned so that the sink alone decides about retries."""

from __future__ import annotations

from typing import Any, Literal

from contract.aws import aws_client
from contract.settings import Settings
from ingest_api.sinks.coalescing import DEFAULT_MAX_CALLS_IN_FLIGHT


def sink_client(settings: Settings, service: Literal["kinesis", "sqs"]) -> Any:
    """A client whose calls never outlive the publish budget and that leaves retries to the sink.

    botocore's own retries would spend the budget invisibly and retry a whole call when only
    some records failed; the sink retries exactly the failed records instead.
    """
    return aws_client(
        settings,
        service,
        max_pool_connections=DEFAULT_MAX_CALLS_IN_FLIGHT,
        retries={"mode": "standard", "max_attempts": 1},
        connect_timeout=settings.publish_budget_seconds,
        read_timeout=settings.publish_budget_seconds,
    )
