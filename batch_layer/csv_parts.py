"""Writing a load's rows as CSV parts of bounded size, staged where no reader looks.

`PartWriter` streams rows to `<staging>/<kind>-00001.csv`, `-00002.csv`, ... and starts a new
part once the current one holds `part_rows` rows and the caller ends an event there, so an event
never straddles two parts. The part number and the rows decide each part's content, so writing
the same rows again gives the same parts: what makes re-running a half-finished load safe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import pyarrow as pa

from contract.lake_io import LakeFiles

_FLUSH_CHARACTERS = 1024 * 1024


class PartWriter:
    def __init__(
        self,
        lake: LakeFiles,
        staging: str,
        kind: str,
        header: Sequence[str],
        part_rows: int,
    ) -> None:
        self._lake = lake
        self._staging = staging
        self._kind = kind
        self._header = list(header)
        self._part_rows = part_rows
        self._parts: list[str] = []
        self._stream: pa.NativeFile | None = None
        self._rows_in_part = 0
        self._text = io.StringIO()
        self._writer = csv.writer(self._text, lineterminator="\n")
        self.rows = 0

    def write_rows(self, rows: Iterable[Sequence[str]]) -> None:
        if self._stream is None:
            self._open_part()
        for row in rows:
            self._writer.writerow(row)
            self._rows_in_part += 1
            self.rows += 1
        if self._text.tell() >= _FLUSH_CHARACTERS:
            self._flush()

    def end_event(self) -> None:
        """A point where a new part may begin: the rows written so far close an event."""
        if self._rows_in_part >= self._part_rows:
            self._close_part()

    def close(self) -> list[str]:
        """Finish the open part; the staged parts' paths, in order."""
        if self._stream is not None:
            self._close_part()
        return list(self._parts)

    def abandon(self) -> None:
        """Close the open part's stream after a failure; the staged files stay as they are."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def _open_part(self) -> None:
        path = f"{self._staging}/{self._kind}-{len(self._parts) + 1:05d}.csv"
        self._parts.append(path)
        self._stream = self._lake.open_output(path)
        self._rows_in_part = 0
        self._writer.writerow(self._header)

    def _flush(self) -> None:
        if self._stream is not None:
            self._stream.write(self._text.getvalue().encode())
        self._text.seek(0)
        self._text.truncate()

    def _close_part(self) -> None:
        self._flush()
        if self._stream is not None:
            self._stream.close()
        self._stream = None
