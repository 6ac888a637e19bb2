"""The coalescing engine of the stream sinks, against a fake stream that fails chosen records."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from ingest_api.sinks.coalescing import (
    BUDGET_EXHAUSTED,
    SINK_CLOSED,
    CallLimits,
    CoalescingSink,
    RecordFailure,
)
from tests.unit.ingest_api.fakes import FakeStream, record

THROTTLED = RecordFailure(code="ProvisionedThroughputExceededException", retryable=True)


class Observer:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []
        self.retried = 0

    def call_finished(self, records: int, failed: int, seconds: float) -> None:
        self.calls.append((records, failed))

    def records_retried(self, count: int) -> None:
        self.retried += count


def _sink(stream: FakeStream, *, linger=0.01, budget=2.0, observer=None) -> CoalescingSink:
    return CoalescingSink(
        stream, name="fake", linger_seconds=linger, budget_seconds=budget, observer=observer
    )


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_concurrent_publishes_share_calls_and_each_gets_its_own_result():
    stream = FakeStream()

    async def scenario() -> Any:
        sink = _sink(stream, linger=0.02)
        results = await asyncio.gather(*(sink.publish([record(n)]) for n in range(64)))
        await sink.close()
        return results

    results = run(scenario())
    assert all(result[0].written for result in results)
    assert sorted(r.data for r in stream.written) == sorted(record(n).data for n in range(64))
    assert len(stream.calls) < 64 / 4


def test_calls_respect_the_record_and_byte_limits():
    stream = FakeStream(limits=CallLimits(max_records=10, max_bytes=1000))

    async def scenario() -> Any:
        sink = _sink(stream, linger=0.02)
        small = sink.publish([record(n) for n in range(25)])
        large = sink.publish([record(100 + n, size=300) for n in range(7)])
        results = await asyncio.gather(small, large)
        await sink.close()
        return results

    small, large = run(scenario())
    assert all(r.written for r in small + large)
    assert len(stream.written) == 32
    for call in stream.calls:
        assert len(call) <= 10
        assert sum(len(r.data) for r in call) <= 1000


def test_only_the_failed_records_are_retried_and_nothing_is_duplicated_or_lost():
    failing = {record(n).data for n in (3, 7, 8, 19)}
    stream = FakeStream(
        fail=lambda r, attempts: THROTTLED if r.data in failing and attempts < 2 else None
    )
    observer = Observer()
    records = [record(n) for n in range(20)]

    async def scenario() -> Any:
        sink = _sink(stream, observer=observer)
        results = await sink.publish(records)
        await sink.close()
        return results

    results = run(scenario())
    assert all(result.written for result in results)
    sent = Counter(r.data for call in stream.calls for r in call)
    assert {data: count for data, count in sent.items() if count > 1} == dict.fromkeys(failing, 3)
    assert Counter(r.data for r in stream.written) == Counter(r.data for r in records)
    assert observer.retried == 8
    assert len(stream.calls) > 1
    assert all({r.data for r in call} <= failing for call in stream.calls[1:])


def test_a_record_failing_past_the_budget_is_not_acknowledged_but_the_others_are():
    doomed = record(5)
    stream = FakeStream(fail=lambda r, attempts: THROTTLED if r == doomed else None)

    async def scenario() -> Any:
        sink = _sink(stream, budget=1.0)
        results = await sink.publish([record(n) for n in range(10)])
        await sink.close()
        return results

    results = run(scenario())
    assert [r.written for r in results] == [n != 5 for n in range(10)]
    assert results[5].failure == BUDGET_EXHAUSTED
    assert doomed not in stream.written
    assert stream.times_sent(doomed) >= 2


def test_a_non_retryable_failure_is_reported_at_once():
    poison = record(2)
    rejected = RecordFailure(code="InvalidMessageContents", retryable=False)
    stream = FakeStream(fail=lambda r, attempts: rejected if r == poison else None)

    async def scenario() -> Any:
        sink = _sink(stream)
        results = await sink.publish([record(n) for n in range(4)])
        await sink.close()
        return results

    results = run(scenario())
    assert results[2].failure == "InvalidMessageContents"
    assert stream.times_sent(poison) == 1
    assert [r.written for r in results] == [True, True, False, True]


def test_a_failed_call_is_retried_whole():
    stream = FakeStream(raise_on_call=lambda call: ConnectionError() if call == 1 else None)

    async def scenario() -> Any:
        sink = _sink(stream)
        results = await sink.publish([record(n) for n in range(5)])
        await sink.close()
        return results

    assert all(r.written for r in run(scenario()))
    assert len(stream.calls) == 2
    assert len(stream.written) == 5


def test_a_call_outliving_the_budget_is_never_reported_written():
    stream = FakeStream(call_seconds=0.5)

    async def scenario() -> Any:
        sink = _sink(stream, budget=0.1)
        results = await sink.publish([record(1)])
        await sink.close()
        return results

    (result,) = run(scenario())
    assert not result.written
    assert result.failure == BUDGET_EXHAUSTED


def test_close_fails_what_is_queued_and_refuses_new_records():
    stream = FakeStream(call_seconds=0.2)

    async def scenario() -> Any:
        sink = _sink(stream, linger=0.0, budget=5.0)
        first = asyncio.ensure_future(sink.publish([record(1)]))
        await asyncio.sleep(0.05)
        queued = asyncio.ensure_future(sink.publish([record(2)]))
        await asyncio.sleep(0)
        await sink.close()
        return await first, await queued, await sink.publish([record(3)])

    first, queued, late = run(scenario())
    assert first[0].written
    assert late[0].failure == SINK_CLOSED
    assert queued[0].written == (record(2) in stream.written)


@pytest.mark.parametrize("linger", [0.0, 0.005])
def test_publishing_nothing_returns_nothing(linger):
    async def scenario() -> Any:
        sink = _sink(FakeStream(), linger=linger)
        results = await sink.publish([])
        await sink.close()
        return results

    assert run(scenario()) == []


def test_a_crashed_batcher_acknowledges_nothing_and_says_so(caplog):
    class Broken(FakeStream):
        @property
        def limits(self) -> CallLimits:
            raise RuntimeError("bug in the writer")

        @limits.setter
        def limits(self, value: CallLimits) -> None:
            """FakeStream's constructor sets it; this stream ignores it."""

    stream = Broken()

    async def scenario() -> Any:
        sink = _sink(stream, linger=0.0, budget=0.2)
        results = await sink.publish([record(1)])
        await sink.close()
        return results

    (result,) = run(scenario())
    assert not result.written
    assert stream.written == []
    assert "the stream batcher stopped" in caplog.text
