"""The TTL cache: one computation per key at a time, stale answers served while refreshing.

Time is a fake clock the tests move, so nothing depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio

import pytest

from serving.cache import TtlCache

TTL = 3.0
STALE = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Counter:
    """A computation that returns how often it ran; it finishes when `release` is set."""

    def __init__(self) -> None:
        self.runs = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> int:
        await self.release.wait()
        self.runs += 1
        return self.runs


async def settle() -> None:
    """Let every ready task run to completion (no real time passes)."""
    for _ in range(20):
        await asyncio.sleep(0)


def test_concurrent_misses_share_one_computation() -> None:
    async def scenario() -> tuple[list[int], int]:
        cache: TtlCache[int] = TtlCache(TTL, clock=Clock())
        compute = Counter()
        compute.release.clear()
        waiting = asyncio.gather(*[cache.get("k", compute) for _ in range(10)])
        await settle()
        compute.release.set()
        return await waiting, compute.runs

    assert asyncio.run(scenario()) == ([1] * 10, 1)


def test_an_expired_answer_is_served_at_once_while_one_refresh_runs() -> None:
    async def scenario() -> tuple[list[int], int, int, int]:
        clock = Clock()
        cache: TtlCache[int] = TtlCache(TTL, stale_seconds=STALE, clock=clock)
        compute = Counter()
        await cache.get("k", compute)
        clock.now += TTL + 1
        compute.release.clear()
        stale = [await cache.get("k", compute) for _ in range(5)]
        runs_meanwhile = compute.runs
        compute.release.set()
        await settle()
        return stale, runs_meanwhile, await cache.get("k", compute), cache.computations

    stale, runs_meanwhile, fresh, computations = asyncio.run(scenario())
    assert stale == [1] * 5
    assert runs_meanwhile == 1
    assert fresh == 2
    assert computations == 2


def test_answers_older_than_the_stale_window_are_recomputed_before_answering() -> None:
    async def scenario() -> list[int]:
        clock = Clock()
        cache: TtlCache[int] = TtlCache(TTL, stale_seconds=STALE, clock=clock)
        compute = Counter()
        first = await cache.get("k", compute)
        clock.now += TTL + STALE + 1
        return [first, await cache.get("k", compute)]

    assert asyncio.run(scenario()) == [1, 2]


def test_failures_reach_the_waiting_callers_and_are_not_cached() -> None:
    async def scenario() -> int:
        cache: TtlCache[int] = TtlCache(TTL, clock=Clock())

        async def broken() -> int:
            raise RuntimeError("engine down")

        with pytest.raises(RuntimeError, match="engine down"):
            await cache.get("k", broken)
        return await cache.get("k", Counter())

    assert asyncio.run(scenario()) == 1


def test_an_answer_from_older_data_is_stale_within_its_ttl() -> None:
    async def scenario() -> tuple[list[int], int, int]:
        version = 0
        cache: TtlCache[int] = TtlCache(TTL, clock=Clock(), version=lambda: version)
        compute = Counter()
        unchanged = [await cache.get("k", compute) for _ in range(3)]
        version += 1
        stale = await cache.get("k", compute)
        await settle()
        return [*unchanged, stale], await cache.get("k", compute), cache.computations

    assert asyncio.run(scenario()) == ([1, 1, 1, 1], 2, 2)


def test_an_answer_is_labelled_with_the_version_its_computation_started_at() -> None:
    """Data that changes while an answer is computed may or may not be in it: the answer is
    stale at once, never fresh for a version it might not hold."""

    async def scenario() -> tuple[int, int]:
        version = 0
        cache: TtlCache[int] = TtlCache(TTL, clock=Clock(), version=lambda: version)
        compute = Counter()
        compute.release.clear()
        first = asyncio.ensure_future(cache.get("k", compute))
        await settle()
        version += 1
        compute.release.set()
        await first
        await cache.get("k", compute)
        await settle()
        return await cache.get("k", compute), cache.computations

    assert asyncio.run(scenario()) == (2, 2)
