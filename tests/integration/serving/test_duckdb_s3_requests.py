"""What the DuckDB engine asks of an `s3://` lake, recorded by the emulator itself (moto's
recorder): a refresh lists bronze from T's day on and the CSV uploads (a LIST each) and asks each
reference table's one file by a HEAD; a question lists nothing, its views naming their files;
questions asked together share refreshes. S3 bills a LIST ten times a GET, and a serving task
refreshes every few seconds, so these counts are most of its S3 bill (docs/cost.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from contract.aws import aws_client
from contract.settings import Settings
from devstack.local_servers import moto_server
from devstack.moto_recorder import S3Request, recorded_s3_requests
from devstack.trino_athena import upload_lake
from serving.engines.duckdb_engine import DuckDBEngine
from serving.queries import newest_landed_event_sql
from tests.unit.serving.scenario import CUTOFF, scenario_copies
from tests.unit.serving.test_merged_view_duckdb import TZ, build_lake

LAKE = "lake"


def listings(requests: list[S3Request]) -> list[str]:
    """The prefix of each listing, with its `start-after` when it has one."""
    found = []
    for request in filter(lambda r: r.is_listing, requests):
        after = request.query.get("start-after", [""])[0]
        found.append(request.query.get("prefix", [""])[0] + (f" after {after}" if after else ""))
    return found


@pytest.fixture
def recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A moto server of this test's own, recording every request into a file."""
    recording = tmp_path / "moto-recording.jsonl"
    monkeypatch.setenv("MOTO_RECORDER_FILEPATH", str(recording))
    with moto_server() as endpoint:
        yield endpoint, recording


@pytest.fixture
def engine(
    recorder: tuple[str, Path],
    moto_settings: Settings,
    tmp_path: Path,
    make_event: Callable[..., dict[str, Any]],
) -> Iterator[DuckDBEngine]:
    endpoint, _ = recorder
    settings = moto_settings.model_copy(update={"aws_endpoint_url": endpoint})
    build_lake(tmp_path / "local", scenario_copies(make_event), CUTOFF, "run-1")
    aws_client(settings, "s3").create_bucket(Bucket=settings.lake_bucket)
    settings = settings.model_copy(
        update={"lake_uri": f"s3://{settings.lake_bucket}/{LAKE}", "reporting_tz": TZ}
    )
    upload_lake(settings, tmp_path / "local", LAKE)
    served = DuckDBEngine(settings)
    served.refresh()
    try:
        yield served
    finally:
        served.close()


def test_a_refresh_lists_bronze_from_t_s_day_and_the_uploads_and_heads_the_reference_files(
    engine: DuckDBEngine, recorder: tuple[str, Path]
) -> None:
    with recorded_s3_requests(*recorder) as requests:
        engine.refresh()
    assert sorted(listings(requests)) == [
        f"{LAKE}/bronze/csv_uploads/",
        f"{LAKE}/bronze/sales_events/ after "
        f"{LAKE}/bronze/sales_events/ingest_date={CUTOFF:%Y-%m-%d}",
    ]
    assert {
        f"{LAKE}/reference/{table}/effective/{table}.parquet"
        for table in ("products", "stores", "customers")
    } <= {request.key for request in requests if request.method == "HEAD"}


def test_a_question_over_bronze_lists_nothing(
    engine: DuckDBEngine, recorder: tuple[str, Path]
) -> None:
    with recorded_s3_requests(*recorder) as requests:
        rows = engine.query(newest_landed_event_sql(CUTOFF)).rows
    assert rows[0]["newest_ingested_at"] is not None
    assert listings(requests) == []


def test_questions_asked_together_share_the_refreshes_they_wait_for(
    engine: DuckDBEngine, recorder: tuple[str, Path]
) -> None:
    def question(_: int) -> int:
        engine.refresh()
        return len(engine.query(newest_landed_event_sql(CUTOFF)).rows)

    with recorded_s3_requests(*recorder) as requests, ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(question, range(6))) == [1] * 6
    uploads = [p for p in listings(requests) if p.startswith(f"{LAKE}/bronze/csv_uploads/")]
    assert 1 <= len(uploads) <= 2
