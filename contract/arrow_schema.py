"""Arrow schemas derived from the pydantic models, never typed by hand.

The bronze row is the `IngestedSaleEvent` with its items as a list of structs. Money becomes
decimal128(18,2), timestamps become UTC microseconds, enums become their string values, so a
Parquet file written by the speed layer reads back into exactly the model it came from.
"""

from __future__ import annotations

import types
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

import pyarrow as pa
from pydantic import AwareDatetime, BaseModel

from contract.money import MONEY_PRECISION, MONEY_SCALE

MONEY_TYPE = pa.decimal128(MONEY_PRECISION, MONEY_SCALE)
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")

_SCALARS: dict[type, pa.DataType] = {
    str: pa.string(),
    int: pa.int32(),
    bool: pa.bool_(),
    float: pa.float64(),
    Decimal: MONEY_TYPE,
    datetime: TIMESTAMP_TYPE,
    AwareDatetime: TIMESTAMP_TYPE,
    date: pa.date32(),
}


def arrow_schema(model: type[BaseModel]) -> pa.Schema:
    """The Arrow schema of a pydantic model: one field per model field, in declaration order.

    A field is nullable exactly when its type admits None; defaults are filled in before writing.
    """
    return pa.schema(
        [_arrow_field(name, info.annotation) for name, info in model.model_fields.items()]
    )


def _arrow_field(name: str, annotation: Any) -> pa.Field:
    data_type, optional = _arrow_type(annotation)
    return pa.field(name, data_type, nullable=optional)


def _arrow_type(annotation: Any) -> tuple[pa.DataType, bool]:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _arrow_type(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) != 1:
            raise TypeError(f"cannot map a union of {members} to one Arrow type")
        data_type, _ = _arrow_type(members[0])
        return data_type, True
    if origin in (list, dict):
        return _collection_type(origin, get_args(annotation)), False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return pa.struct(list(arrow_schema(annotation))), False
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return pa.string(), False
    for python_type, data_type in _SCALARS.items():
        if annotation is python_type:
            return data_type, False
    raise TypeError(f"no Arrow type for {annotation!r}; extend contract.arrow_schema._SCALARS")


def _collection_type(origin: type, args: tuple[Any, ...]) -> pa.DataType:
    """A list of non-null elements, or a map (a dict of custom attributes)."""
    if origin is list:
        (item,) = args
        return pa.list_(pa.field("element", _arrow_type(item)[0], nullable=False))
    key, value = (_arrow_type(arg)[0] for arg in args)
    return pa.map_(key, value)
