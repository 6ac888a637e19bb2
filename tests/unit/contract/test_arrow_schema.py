"""Arrow types derived from the models when asked (the bronze schema is derived at import, where
a test would only ever see one derivation): lists of non-null elements and maps of attributes."""

from __future__ import annotations

import pyarrow as pa
from pydantic import BaseModel

from contract.arrow_schema import arrow_schema
from contract.bronze import BRONZE_SCHEMA
from contract.content_digest import CONTENT_DIGEST
from contract.event import IngestedSaleEvent


class _Line(BaseModel):
    sku: str


class _Order(BaseModel):
    lines: list[_Line]
    quantities: list[int]
    attributes: dict[str, str] | None = None


def test_lists_hold_non_null_elements_and_dicts_become_maps() -> None:
    schema = arrow_schema(_Order)
    lines = schema.field("lines").type
    assert isinstance(lines, pa.ListType)
    assert lines.value_field == pa.field(
        "element", pa.struct([pa.field("sku", pa.string(), nullable=False)]), nullable=False
    )
    assert schema.field("quantities").type.value_field == pa.field(
        "element", pa.int32(), nullable=False
    )
    assert schema.field("attributes") == pa.field(
        "attributes", pa.map_(pa.string(), pa.string()), nullable=True
    )


def test_the_bronze_schema_is_the_ingested_events_derivation_and_its_content_digest() -> None:
    derived = arrow_schema(IngestedSaleEvent)
    assert BRONZE_SCHEMA.equals(derived.append(pa.field(CONTENT_DIGEST, pa.int64())))
