"""The one place salesflow reaches past pydantic's public API, on the paths every event takes.

Each function does what a public call does, minus a wrapper or a copy, because these run once
per event in the ingest API and the speed layer; every other module uses the public API. The
gains are measured by the benchmarks, in ratios against a baseline from the same run
(`python -m bench.ingest` and `python -m bench.speed`, figures in `bench/results/` and in
docs/ingest_api.md and docs/speed_layer.md). Re-measure before changing one back, and when
upgrading pydantic run the tests of `contract.wire` and `contract.bronze`, which pin the bytes
and values these produce.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

Model = TypeVar("Model", bound=BaseModel)


def validate_json(model: type[Model], data: bytes | str) -> Model:
    """`model.model_validate_json(data)` without its Python wrapper: the model's core validator
    called directly (the speed layer re-validates every record it lands)."""
    validated: Model = model.__pydantic_validator__.validate_json(data)
    return validated


def dump_json(model: BaseModel, *, exclude_none: bool) -> bytes:
    """`model.model_dump_json(...)` as bytes straight from the core serializer, without the
    round trip through a Python str (the ingest API encodes every event it accepts)."""
    return model.__pydantic_serializer__.to_json(model, exclude_none=exclude_none)


def extend_json_object(document: bytes, members: bytes) -> bytes:
    """A JSON object with more members: `{"a":1}` and `,"b":2` give `{"a":1,"b":2}`.

    Lets the ingest API stamp an event's JSON with the server's fields without building and
    serializing a second model; `document` must be a serialized object (ends with `}`).
    """
    return document[:-1] + members + b"}"


def field_values(model: BaseModel) -> dict[str, Any]:
    """The model's field values, the very objects it holds (not copies as `model_dump` makes),
    for the bronze builder that copies them into Arrow columns one event at a time."""
    values: dict[str, Any] = model.__dict__
    return values
