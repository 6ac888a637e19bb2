"""The effective (SCD type-2) reference tables every engine reads: the model's columns, then the
bookkeeping columns, none of which may be missing on a row."""

from __future__ import annotations

import pyarrow as pa
import pytest

from contract.arrow_schema import TIMESTAMP_TYPE
from contract.reference import REFERENCE_TABLES


@pytest.mark.parametrize("table", sorted(REFERENCE_TABLES))
def test_an_effective_table_is_the_model_then_its_never_null_validity(table: str) -> None:
    kind = REFERENCE_TABLES[table]
    effective = kind.effective_schema()
    assert list(effective)[: len(kind.schema())] == list(kind.schema())
    assert list(effective)[len(kind.schema()) :] == [
        pa.field("version", pa.int32(), nullable=False),
        pa.field("valid_from", TIMESTAMP_TYPE, nullable=False),
        pa.field("valid_to", TIMESTAMP_TYPE, nullable=False),
        pa.field("is_current", pa.bool_(), nullable=False),
    ]
