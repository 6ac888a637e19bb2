"""Reading an export incrementally: bytes -> text lines -> CSV rows, with file line numbers.

The stream is read line by line and each line decoded on its own, so memory does not depend on
the file's size and a byte that is not text in the mapping's encoding is reported with its line.
That needs an encoding that writes newlines, quotes and delimiters as ASCII does (every encoding
a mapping accepts does). A UTF-8 byte-order mark before the header is skipped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from batch_layer.errors import CsvEncodingError, CsvHeaderError

if TYPE_CHECKING:
    from _csv import Reader

_BOM = "\ufeff"


@dataclass(frozen=True)
class SourceRow:
    file_line: int
    """1-based line the row ends on (a quoted field may span lines), as an editor shows it."""
    fields: list[str]


@dataclass(frozen=True)
class ExportRows:
    header: list[str]
    rows: Iterator[SourceRow]
    """Non-blank rows after the header, read as they are consumed."""


def read_export(lines: Iterable[bytes], *, encoding: str, delimiter: str) -> ExportRows:
    """The header (read now) and the rows (read lazily) of an export's raw lines.

    Raises CsvHeaderError for an empty file, and CsvEncodingError (also while iterating the
    rows) for a line that is not text in `encoding` or not valid CSV."""
    reader = csv.reader(_decoded(lines, encoding), delimiter=delimiter)
    header = _next(reader)
    if header is None:
        raise CsvHeaderError("the file is empty; expected a header row")
    header = [name.strip() for name in header]
    if header:
        header[0] = header[0].removeprefix(_BOM)
    return ExportRows(header=header, rows=_rows(reader))


def _decoded(lines: Iterable[bytes], encoding: str) -> Iterator[str]:
    for number, line in enumerate(lines, start=1):
        try:
            yield line.decode(encoding)
        except UnicodeDecodeError as error:
            raise CsvEncodingError(
                f"file line {number} is not {encoding} text ({error.reason} at byte "
                f"{error.start + 1} of the line); name the file's encoding in the mapping "
                '(`encoding = "latin-1"` for many older ERPs)'
            ) from error


def _next(reader: Reader) -> list[str] | None:
    try:
        return next(reader, None)
    except csv.Error as error:
        raise CsvEncodingError(f"the header is not valid CSV: {error}") from error


def _rows(reader: Reader) -> Iterator[SourceRow]:
    while True:
        try:
            fields = next(reader, None)
        except csv.Error as error:
            raise CsvEncodingError(
                f"file line {reader.line_num} is not valid CSV: {error}"
            ) from error
        if fields is None:
            return
        if "".join(fields).strip():
            yield SourceRow(reader.line_num, fields)
