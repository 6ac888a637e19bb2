"""Athena on the moto server as the deployment has it, for the tests that publish or query
through it: the lake and results buckets, the workgroup, and how long moto keeps a query
execution queued before it runs."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from contract.aws import aws_client
from contract.settings import Settings

_EXECUTIONS = "athena::execution"


def create_athena_resources(settings: Settings, *, lake_bucket: bool = True) -> None:
    """The results bucket and the workgroup Terraform makes, and the lake bucket unless the
    test keeps its lake in a folder."""
    s3 = aws_client(settings, "s3")
    if lake_bucket:
        s3.create_bucket(Bucket=settings.lake_bucket)
    s3.create_bucket(Bucket=settings.athena_results_bucket)
    aws_client(settings, "athena").create_work_group(Name=settings.athena_workgroup)


@contextmanager
def queries_held(moto_endpoint: str, polls: int) -> Iterator[None]:
    """Every Athena execution stays QUEUED, then RUNNING, for `polls` state reads each (10**9:
    until the block ends)."""
    transition = {"progression": "manual", "times": polls}
    moto_api(
        moto_endpoint,
        "state-manager/set-transition",
        {"model_name": _EXECUTIONS, "transition": transition},
    )
    try:
        yield
    finally:
        moto_api(moto_endpoint, "state-manager/unset-transition", {"model_name": _EXECUTIONS})


def moto_api(endpoint: str, path: str, payload: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/{path}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
