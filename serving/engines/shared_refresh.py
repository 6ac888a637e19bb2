"""One refresh shared by every caller that asked while it was pending.

Every question the API computes first asks its engine to refresh (read the publication pointer
and, on DuckDB, list the lake for landed files), so that its answer counts every file landed
before it was asked. The dashboard asks its panels' questions at once, and each refresh of a
DuckDB engine costs S3 LISTs: one refresh per question made most of what a dashboard refresh
asked of S3 (`bench.serving_s3`). A caller needs a refresh that *started* after it called: one
already running may have listed the lake before the caller's file landed. So a caller that
finds a refresh running waits for it to end, then for the next one, which the first of the
waiters starts and all of them share. However many callers arrive together, two refreshes at
most serve them, and every one of them still sees what had landed when it asked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedRefresh(Generic[T]):
    def __init__(self, refresh: Callable[[], T]) -> None:
        self._refresh = refresh
        self._condition = threading.Condition()
        self._started = 0
        """Refreshes started so far; the running one, if any, is the last."""
        self._finished = 0
        """The number of the last refresh that ended, whose outcome `_outcome` holds."""
        self._outcome: tuple[T | None, BaseException | None] = (None, None)

    def __call__(self) -> T:
        """The outcome of a refresh that started after this call: its value, or its error."""
        with self._condition:
            wanted = self._started + 1
            while self._started > self._finished and self._finished < wanted:
                self._condition.wait()
            if self._finished >= wanted:
                return self._outcome_value()
            self._started += 1
            number = self._started
        value: T | None = None
        error: BaseException | None = None
        try:
            value = self._refresh()
        except BaseException as raised:  # shared with the waiters, then raised to this caller
            error = raised
        with self._condition:
            self._finished = number
            self._outcome = (value, error)
            self._condition.notify_all()
            return self._outcome_value()

    def _outcome_value(self) -> T:
        """The last refresh's outcome, read under the condition's lock."""
        value, error = self._outcome
        if error is not None:
            raise error
        return value  # type: ignore[return-value]  # set when no error was raised
