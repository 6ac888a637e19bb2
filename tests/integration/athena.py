"""Athena on the moto server as the deployment has it, for the tests that publish or query
through it: the lake and results buckets, the workgroup, and how long moto keeps a query
execution queued before it runs."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from devstack.trino_athena import create_athena_resources

__all__ = ["create_athena_resources", "moto_api", "queries_held"]

_EXECUTIONS = "athena::execution"


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
