"""Grouping an export's rows into events in memory that does not grow with the file.

Rows join the open event of their id. At most `max_open_events` events are open; when one more
opens, the one touched longest ago is closed and handed on to be validated. An export sorted or
grouped by order (or by time) keeps each order's rows together, so every event is complete when
it closes, and the window costs nothing but its size.

Rows of one event further apart than the window cannot be grouped without holding the whole file:
the event would be validated in pieces, and one piece could load without the other. The window
catches that and the load stops with a ScatteredEventError naming two of the lines, before
anything is published:
- a row of an event closed among the last `max_open_events` events is caught at once;
- every closed event's id also goes, as a 16-byte hash and its first line, to one of 256 bucket
  files in a temporary folder. `verify()` reads the buckets back one at a time and looks for an
  id closed twice: 24 bytes of disk per event, memory for one bucket.

An event that reaches more lines than the contract allows (`MAX_ITEMS`) is rejected there and
then, so a mapping whose order column repeats across orders cannot fill the memory either.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from batch_layer.csv_format import MappedRow
from batch_layer.errors import ScatteredEventError
from contract.event import MAX_ITEMS

_BUCKETS = 256
_HASH_BYTES = 16
_LINE_BYTES = 8
_RECORD_BYTES = _HASH_BYTES + _LINE_BYTES


@dataclass(frozen=True)
class ClosedEvent:
    rows: list[MappedRow]
    rejection: str | None = None
    """Set when the rows are rejected as they are, without validation."""


class _OpenEvent:
    __slots__ = ("first_line", "overflow", "rows")

    def __init__(self, row: MappedRow) -> None:
        self.first_line = row.file_line
        self.rows = [row]
        self.overflow: str | None = None


class EventWindow:
    """The open events of one export; `folder` receives the closed events' id hashes."""

    def __init__(self, max_open_events: int, folder: Path) -> None:
        self._max_open = max_open_events
        self._open: OrderedDict[str, _OpenEvent] = OrderedDict()
        self._recently_closed: OrderedDict[str, int] = OrderedDict()
        self._folder = folder
        self._buckets: dict[int, BinaryIO] = {}

    def add(self, row: MappedRow) -> list[ClosedEvent]:
        """Place a row (whose `event_id` is set); returns the events this closes."""
        event_id = row.event_id or ""
        event = self._open.get(event_id)
        if event is not None:
            self._open.move_to_end(event_id)
            return self._extend(event_id, event, row)
        first_line = self._recently_closed.get(event_id)
        if first_line is not None:
            raise ScatteredEventError(
                f"file line {row.file_line} belongs to event {event_id!r}"
                f"{_order(row)}, whose rows began at file line {first_line} and which was closed "
                f"after {self._max_open} other events had started; {_advice(self._max_open)}"
            )
        self._open[event_id] = _OpenEvent(row)
        if len(self._open) <= self._max_open:
            return []
        oldest_id, oldest = self._open.popitem(last=False)
        return self._close(oldest_id, oldest)

    def close_all(self) -> list[ClosedEvent]:
        """Close every open event (the end of the file)."""
        closed = []
        while self._open:
            event_id, event = self._open.popitem(last=False)
            closed.extend(self._close(event_id, event))
        return closed

    def close_files(self) -> None:
        for handle in self._buckets.values():
            handle.close()

    def verify(self) -> None:
        """Raise ScatteredEventError if any event was closed twice. Call after close_all()."""
        self.close_files()
        for bucket in sorted(self._buckets):
            data = (self._folder / f"{bucket:03d}.bin").read_bytes()
            starts = range(0, len(data), _RECORD_BYTES)
            if len({data[start : start + _HASH_BYTES] for start in starts}) == len(starts):
                continue
            first_lines: dict[bytes, int] = {}
            for start in range(0, len(data), _RECORD_BYTES):
                digest = data[start : start + _HASH_BYTES]
                line = int.from_bytes(data[start + _HASH_BYTES : start + _RECORD_BYTES], "big")
                earlier = first_lines.setdefault(digest, line)
                if earlier != line:
                    raise ScatteredEventError(
                        f"file lines {earlier} and {line} start two runs of rows of the same "
                        f"event, more than {self._max_open} events apart; "
                        f"{_advice(self._max_open)}"
                    )

    def _extend(self, event_id: str, event: _OpenEvent, row: MappedRow) -> list[ClosedEvent]:
        if event.overflow is not None:
            return [ClosedEvent([row], event.overflow)]
        event.rows.append(row)
        if len(event.rows) <= MAX_ITEMS:
            return []
        event.overflow = (
            f"event {event_id!r}{_order(row)} has more than {MAX_ITEMS} lines (from file line "
            f"{event.first_line}), more than an event may have; if this is not one order, check "
            "which column the mapping reads the order id from"
        )
        rows, event.rows = event.rows, []
        return [ClosedEvent(rows, event.overflow)]

    def _close(self, event_id: str, event: _OpenEvent) -> list[ClosedEvent]:
        self._recently_closed[event_id] = event.first_line
        if len(self._recently_closed) > self._max_open:
            self._recently_closed.popitem(last=False)
        digest = hashlib.blake2b(event_id.encode(), digest_size=_HASH_BYTES).digest()
        self._bucket(digest[0]).write(digest + event.first_line.to_bytes(_LINE_BYTES, "big"))
        return [ClosedEvent(event.rows)] if event.rows else []

    def _bucket(self, number: int) -> BinaryIO:
        handle = self._buckets.get(number)
        if handle is None:
            handle = (self._folder / f"{number:03d}.bin").open("wb", buffering=16 * 1024)
            self._buckets[number] = handle
        return handle


def _order(row: MappedRow) -> str:
    order = row.values.get("order_id", "")
    return f" (order {order!r})" if order and order != row.event_id else ""


def _advice(window: int) -> str:
    return (
        "an event's rows must lie within that many events of each other. Sort the export by "
        f"order or by time, or raise max_open_events in the mapping (now {window})"
    )
