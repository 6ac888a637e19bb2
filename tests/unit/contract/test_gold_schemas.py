"""The marts' schemas: their dimensions typed exactly as in `sales_wide`, then the metrics."""

from __future__ import annotations

import pyarrow as pa
import pytest

from contract.arrow_schema import MONEY_TYPE
from contract.gold import MART_DIMENSIONS, METRIC_DEFINITIONS, SALES_WIDE_SCHEMA, mart_schema

COUNTS = {"units", "orders", "returns"}
MAY_BE_NULL = {"cost", "margin"}
"""NULL when no line of a group has a known product cost; every other metric is a number."""


@pytest.mark.parametrize("mart", sorted(MART_DIMENSIONS))
def test_a_mart_is_its_dimensions_then_every_metric(mart: str) -> None:
    schema = mart_schema(mart)
    dimensions = MART_DIMENSIONS[mart]
    assert schema.names == [*dimensions, *METRIC_DEFINITIONS]
    for name in dimensions:
        assert schema.field(name) == SALES_WIDE_SCHEMA.field(name)
    for name in METRIC_DEFINITIONS:
        field = schema.field(name)
        assert field.type == (pa.int64() if name in COUNTS else MONEY_TYPE), name
        assert field.nullable == (name in MAY_BE_NULL), name
