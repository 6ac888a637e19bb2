"""boto3 clients built from Settings: one place decides region, endpoint and retry policy."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from contract.settings import AwsService, Settings


def aws_client(settings: Settings, service: AwsService, **config: Any) -> Any:
    """A boto3 client for `service`, honouring the endpoint override (a moto server, LocalStack).

    Extra keyword arguments go to botocore's `Config` (timeouts, retries, pool size).
    """
    options: dict[str, Any] = {"retries": {"mode": "standard", "max_attempts": 3}} | config
    return boto3.session.Session().client(
        service,
        region_name=settings.aws_region,
        endpoint_url=settings.endpoint_url(service),
        config=Config(**options),
    )
