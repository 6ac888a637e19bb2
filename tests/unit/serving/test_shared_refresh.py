"""Callers that ask for a refresh while one is pending share the next one, and none of them gets a
refresh that started before it asked (it may have listed the lake before the caller's file
landed)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from serving.engines.shared_refresh import SharedRefresh

WAIT = 5.0


class GatedRefresh:
    """Numbers each refresh; a refresh holds until the test opens its gate."""

    def __init__(self) -> None:
        self.started = 0
        self.gates: dict[int, threading.Event] = {}
        self.running: dict[int, threading.Event] = {}
        self._lock = threading.Lock()
        self.fail: set[int] = set()

    def gate(self, number: int) -> threading.Event:
        with self._lock:
            return self.gates.setdefault(number, threading.Event())

    def is_running(self, number: int) -> threading.Event:
        with self._lock:
            return self.running.setdefault(number, threading.Event())

    def __call__(self) -> int:
        with self._lock:
            self.started += 1
            number = self.started
        self.is_running(number).set()
        assert self.gate(number).wait(WAIT)
        if number in self.fail:
            raise RuntimeError(f"refresh {number} failed")
        return number


def arrived(shared: SharedRefresh[int], calling: threading.Event) -> int:
    calling.set()
    return shared()


def during_the_first_refresh(
    pool: ThreadPoolExecutor, refresh: GatedRefresh, shared: SharedRefresh[int], callers: int
) -> list[Future[int]]:
    """`callers` calls that arrive while refresh 1 runs, once it has ended (it answered 1)."""
    first = pool.submit(shared)
    assert refresh.is_running(1).wait(WAIT)
    calling = [threading.Event() for _ in range(callers)]
    later = [pool.submit(arrived, shared, event) for event in calling]
    assert all(event.wait(WAIT) for event in calling)
    time.sleep(0.2)  # from calling `shared` to waiting inside it
    refresh.gate(1).set()
    assert first.result(WAIT) == 1
    return later


def test_callers_arriving_during_a_refresh_share_the_next_one_not_the_running_one() -> None:
    refresh = GatedRefresh()
    shared = SharedRefresh(refresh)
    with ThreadPoolExecutor(max_workers=6) as pool:
        later = during_the_first_refresh(pool, refresh, shared, 5)
        assert refresh.is_running(2).wait(WAIT)
        assert not any(f.done() for f in later)
        refresh.gate(2).set()
        assert [f.result(WAIT) for f in later] == [2] * 5
    assert refresh.started == 2


def test_callers_one_after_another_each_get_their_own_refresh() -> None:
    refresh = GatedRefresh()
    for number in (1, 2, 3):
        refresh.gate(number).set()
    shared = SharedRefresh(refresh)
    assert [shared(), shared(), shared()] == [1, 2, 3]


def test_a_failed_refresh_fails_every_caller_that_shared_it_and_the_next_one_runs_again() -> None:
    refresh = GatedRefresh()
    refresh.fail.add(2)
    shared = SharedRefresh(refresh)
    with ThreadPoolExecutor(max_workers=4) as pool:
        later = during_the_first_refresh(pool, refresh, shared, 3)
        refresh.gate(2).set()
        for future in later:
            with pytest.raises(RuntimeError, match="refresh 2 failed"):
                future.result(WAIT)
    refresh.gate(3).set()
    assert shared() == 3
