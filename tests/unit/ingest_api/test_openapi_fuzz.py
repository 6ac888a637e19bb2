"""Schemathesis against the app's own OpenAPI schema: no 5xx, every response as documented.

Runs every built-in check, including undocumented status codes, response schema conformance,
ignored auth and accepted invalid input, except `positive_data_acceptance`: the contract has
cross-field rules a JSON Schema cannot express (total = sum of lines, discount <= line value,
occurred_at not in the future), so schema-valid events are rightly refused with 422.
413 is added to the statuses that count as rejecting invalid input: docs/ingest_api.md answers
a batch over 500 events with 413, which schemathesis' default list does not include.
"""

from __future__ import annotations

import tempfile
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config._checks import (
    NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES,
    NegativeDataRejectionConfig,
)
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from contract.settings import Settings, hash_api_key
from ingest_api.app import create_app
from ingest_api.sinks import MemorySink
from tests.unit.ingest_api.conftest import API_KEY, SOURCE

app = create_app(
    Settings(
        sink="memory",
        api_keys=f"{SOURCE}:{hash_api_key(API_KEY)}",
        lake_uri=tempfile.mkdtemp(prefix="salesflow-fuzz-lake-"),
    ),
    MemorySink(),
)
"""Reconciliation reports the fuzzer gets accepted go to a lake of its own, not the repository's."""
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
schema.config.checks.negative_data_rejection = NegativeDataRejectionConfig(
    expected_statuses=[*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, "413"]
)


def _operations() -> list[APIOperation[Any, Any, Any, Any]]:
    """Every operation of the schema; an operation schemathesis cannot read fails the module."""
    operations = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise result.err()
        operations.append(result.ok())
    return operations


CASES = [
    pytest.param(operation, mode, id=f"{operation.label} {mode.value}")
    for operation in _operations()
    for mode in GenerationMode
    # The GET endpoints take no input, so there is nothing to make invalid.
    if mode is GenerationMode.POSITIVE or operation.method.upper() != "GET"
]


# One test id per operation and generation mode: schemathesis' own `schema.parametrize()` gives
# every operation the same node id, and pytest-xdist then runs only one of them.
@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_api_conforms_to_its_openapi_schema(operation, mode):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    def conforms(case):
        case.call_and_validate(
            headers={"X-API-Key": API_KEY}, excluded_checks=[positive_data_acceptance]
        )

    conforms()
