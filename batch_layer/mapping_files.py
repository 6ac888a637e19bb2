"""What every mapping file shares, whatever kind of export it maps (sales, Z reports).

A mapping is a TOML file named after the export it reads. The file-format half is the same for
every kind: the source system, the encoding, the delimiter, the number separators, and how a
field is given (`"COLUMN"`, `{ column = "COLUMN" }` or `{ constant = "value" }`, plus value maps
that need a column). Reading and validating it is the same too, and every refusal names the TOML
key at fault so the person who wrote the file can fix it without reading code. Each kind adds its
own fields by subclassing `MappingFile` (`csv_mapping`, `reconciliation_csv`).
"""

from __future__ import annotations

import codecs
import re
import tomllib
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from batch_layer.errors import MappingError

MAPPING_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
"""A mapping's name: its file name without `.toml`, also the landing folder that selects it."""

_ASCII_PROBE = '\n\r,;|\t".0123456789'


class Source(BaseModel):
    """`"COLUMN"` or `{ column = "COLUMN" }` (a source column) or `{ constant = "value" }`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: Annotated[str, Field(min_length=1)] | None = None
    constant: Annotated[str, Field(min_length=1)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _a_plain_string_names_a_column(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"column": value}
        if not isinstance(value, dict):
            raise ValueError('give a column name ("COLUMN") or { constant = "value" }')
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.column is None) == (self.constant is None):
            raise ValueError('give either a column name ("COLUMN") or { constant = "value" }')
        return self


class MappingFile(BaseModel):
    """The keys every mapping file has; a kind of export adds `columns`, `values` and its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_system: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:/-]{1,40}$")]
    encoding: str = "utf-8"
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] = ","
    decimal_separator: Literal[".", ","] = "."
    thousands_separator: Literal["", ".", ",", " ", "'"] = ""

    @field_validator("encoding")
    @classmethod
    def _ascii_compatible(cls, encoding: str) -> str:
        try:
            name = codecs.lookup(encoding).name
        except LookupError as error:
            raise ValueError(f"unknown encoding {encoding!r}; e.g. utf-8, latin-1") from error
        if _ASCII_PROBE.encode(name, errors="replace") != _ASCII_PROBE.encode("ascii"):
            raise ValueError(
                f"{encoding!r} does not write digits, separators and newlines as ASCII does "
                "(UTF-16/32); re-save the export as UTF-8"
            )
        return name

    @field_validator("delimiter")
    @classmethod
    def _usable_delimiter(cls, delimiter: str) -> str:
        if delimiter in '"\r\n':
            raise ValueError("the delimiter cannot be a quote or a line break")
        return delimiter

    @model_validator(mode="after")
    def _separators_differ(self) -> Self:
        if self.thousands_separator == self.decimal_separator:
            raise ValueError("thousands_separator: must differ from decimal_separator")
        return self

    def value_map_problem(self) -> str | None:
        """Why a value map cannot apply: it maps a field given as a constant or not at all."""
        values: BaseModel | None = getattr(self, "values", None)
        columns: BaseModel | None = getattr(self, "columns", None)
        if values is None or columns is None:
            return None
        for field in type(values).model_fields:
            source: Source | None = getattr(columns, field, None)
            if getattr(values, field) is not None and (source is None or source.column is None):
                return f"values.{field}: a value map needs columns.{field} to name a column"
        return None


Mapping = TypeVar("Mapping", bound=MappingFile)


def parse_mapping_file(data: bytes, name: str, model: type[Mapping]) -> Mapping:
    """A mapping file's bytes validated as `model`; MappingError names the TOML key at fault."""
    if not MAPPING_NAME.match(name):
        raise MappingError(
            f"mapping name {name!r} must be 1-64 characters of A-Z a-z 0-9 _ . - "
            "(it is the file name without .toml)"
        )
    try:
        document = tomllib.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise MappingError(f"mapping {name}: not a valid UTF-8 TOML file: {error}") from error
    try:
        mapping = model.model_validate(document)
    except ValidationError as error:
        raise MappingError(f"mapping {name}: " + "; ".join(_problems(error))) from error
    problem = mapping.value_map_problem()
    if problem is not None:
        raise MappingError(f"mapping {name}: {problem}")
    return mapping


def _problems(error: ValidationError) -> list[str]:
    problems = []
    for detail in error.errors(include_url=False):
        key = ".".join(str(part) for part in detail["loc"])
        message = str(detail["msg"]).removeprefix("Value error, ")
        if detail["type"] == "missing":
            message = "required, but missing"
        elif detail["type"] == "extra_forbidden":
            message = "not a mapping key (check its spelling)"
        problems.append(f"{key}: {message}" if key else message)
    return problems
