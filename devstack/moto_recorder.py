"""The S3 requests a moto server received, from moto's own recorder.

A server started with `MOTO_RECORDER_FILEPATH` set appends every request it receives to that
file while recording is on. What a component asks of S3, counted this way, is what S3 would
bill it: the serving task's requests (`bench.serving_s3`) and the tests that keep them few
(`tests/integration/serving/test_duckdb_s3_requests.py`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx


@dataclass(frozen=True)
class S3Request:
    method: str
    key: str
    """The object's key, without its bucket; empty for a request to the bucket (a listing)."""
    query: dict[str, list[str]]
    headers: dict[str, str]

    @property
    def is_listing(self) -> bool:
        return self.method == "GET" and not self.key


@contextmanager
def recorded_s3_requests(endpoint: str, recording: Path) -> Iterator[list[S3Request]]:
    """The S3 requests the server at `endpoint` received inside the block, in the list once the
    block ends; `recording` is the file it was started to record into."""
    received: list[S3Request] = []
    httpx.post(f"{endpoint}/moto-api/recorder/reset-recording").raise_for_status()
    httpx.post(f"{endpoint}/moto-api/recorder/start-recording").raise_for_status()
    try:
        yield received
    finally:
        httpx.post(f"{endpoint}/moto-api/recorder/stop-recording").raise_for_status()
    lines = recording.read_text().splitlines() if recording.exists() else []
    for line in filter(str.strip, lines):
        request = json.loads(line)
        url = urlsplit(request["url"])
        _, _, key = unquote(url.path).lstrip("/").partition("/")
        received.append(S3Request(request["method"], key, parse_qs(url.query), request["headers"]))
