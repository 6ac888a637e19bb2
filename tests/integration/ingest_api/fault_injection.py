"""Fault-injecting stand-ins for the boto3 Kinesis and SQS clients (fakes, not patches).

Each wraps a real client talking to the moto server. For every call it asks a rule, per
record, whether to fail that record this time; the records not failed go to the real service
in one real call and the answer is spliced back in the caller's order, exactly like a throttled
shard answers PutRecords. So a record reported written really is in moto, and a failed one
really is not. The Kinesis stand-in reads one event per record: give its `KinesisSink`
`aggregate=False` (aggregated records failing whole go through `tests/e2e/fault_proxy.py`).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

FailRule = Callable[[str, int], bool]
"""Given an event_id and how many times it was sent before: fail it this time?"""


class _Injector:
    def __init__(self, fail: FailRule) -> None:
        self._fail = fail
        self.sent: Counter[str] = Counter()
        self.calls = 0
        self._lock = threading.Lock()

    def split(self, event_ids: list[str]) -> list[bool]:
        with self._lock:
            self.calls += 1
            decisions = [self._fail(event_id, self.sent[event_id]) for event_id in event_ids]
            self.sent.update(event_ids)
            return decisions


class FaultyKinesis(_Injector):
    def __init__(self, real: Any, fail: FailRule) -> None:
        super().__init__(fail)
        self._real = real

    def put_records(self, *, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        failing = self.split([json.loads(r["Data"])["event_id"] for r in Records])
        passed = [r for r, fail in zip(Records, failing, strict=True) if not fail]
        written = iter(
            self._real.put_records(StreamName=StreamName, Records=passed)["Records"]
            if passed
            else []
        )
        throttled = {
            "ErrorCode": "ProvisionedThroughputExceededException",
            "ErrorMessage": "Rate exceeded for shard (injected)",
        }
        entries = [throttled if fail else next(written) for fail in failing]
        return {"FailedRecordCount": sum(failing), "Records": entries}

    def describe_stream_summary(self, **kwargs: Any) -> Any:
        return self._real.describe_stream_summary(**kwargs)


class FaultySqs(_Injector):
    def __init__(self, real: Any, fail: FailRule) -> None:
        super().__init__(fail)
        self._real = real

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:  # noqa: N803
        failing = self.split([json.loads(e["MessageBody"])["event_id"] for e in Entries])
        passed = [e for e, fail in zip(Entries, failing, strict=True) if not fail]
        response = (
            self._real.send_message_batch(QueueUrl=QueueUrl, Entries=passed)
            if passed
            else {"Successful": []}
        )
        failed = [
            {"Id": e["Id"], "SenderFault": False, "Code": "ServiceUnavailable", "Message": "x"}
            for e, fail in zip(Entries, failing, strict=True)
            if fail
        ]
        return {"Successful": response.get("Successful", []), "Failed": failed}

    def get_queue_url(self, **kwargs: Any) -> Any:
        return self._real.get_queue_url(**kwargs)
