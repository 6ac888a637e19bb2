"""`salesflow batch runs` and `salesflow batch rollback RUN_ID` on an S3 lake, Glue and Athena on
the moto server, and the job's pruning of run folders: the served run is never removed."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from batch_layer.publish import publish
from batch_layer.runs import list_runs, prune_runs
from contract.aws import aws_client
from contract.gold import MART_DIMENSIONS, QUALITY_QUARANTINE, SALES_WIDE
from contract.lake import LakeLocation, gold_run
from contract.lake_io import LakeFiles
from contract.publication import Publication, read_publication
from contract.settings import Settings
from salesflow.cli import main
from tests.integration.athena import create_athena_resources

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


@pytest.fixture
def settings(moto_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """An S3 lake at the bucket's root, the results bucket and the workgroup, as deployed; the
    same settings in the environment for the CLI."""
    create_athena_resources(moto_settings)
    environment = {
        "SALESFLOW_AWS_ENDPOINT_URL": moto_settings.aws_endpoint_url or "",
        "SALESFLOW_NAME_PREFIX": moto_settings.name_prefix,
        "SALESFLOW_LAKE_URI": f"s3://{moto_settings.lake_bucket}",
        "SALESFLOW_PUBLISH_CATALOG": "athena",
        "SALESFLOW_SERVING_QUERY_TIMEOUT_SECONDS": "5",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return Settings()


def run_id(cutoff: datetime, started: datetime) -> str:
    return f"{cutoff:%Y%m%dT%H%M%SZ}-{started:%Y%m%dT%H%M%S}-0a1b2c3d"


def write_run(settings: Settings, cutoff: datetime, rows: int, *, report: bool = True) -> str:
    """A run folder as the job leaves it: a sales_wide file, and (when it finished) its report,
    which `publish` also makes the pointer."""
    started = cutoff + timedelta(minutes=5)
    run = run_id(cutoff, started)
    buffer = io.BytesIO()
    pq.write_table(pa.table({"event_id": [f"EV-{n}" for n in range(rows)]}), buffer)
    key = f"{gold_run(run)}/{SALES_WIDE}/sale_date=2026-11-20/part-0.parquet"
    aws_client(settings, "s3").put_object(
        Bucket=settings.lake_bucket, Key=key, Body=buffer.getvalue()
    )
    if report:
        publication = Publication(
            run_id=run,
            cutoff=cutoff,
            published_at=started + timedelta(minutes=10),
            tables={
                t: f"{gold_run(run)}/{t}"
                for t in (SALES_WIDE, QUALITY_QUARANTINE, *MART_DIMENSIONS)
            },
            input_counts={"lines": rows},
            output_counts={SALES_WIDE: rows, QUALITY_QUARANTINE: 0},
            quality_counts={},
            duplicates=0,
            duration_seconds=60.0,
        )
        publish(LakeLocation.parse(settings.lake_uri), publication, settings)
    return run


def sales_wide_location(settings: Settings) -> str:
    table = aws_client(settings, "glue").get_table(
        DatabaseName=settings.glue_database, Name=SALES_WIDE
    )["Table"]
    return str(table["StorageDescriptor"]["Location"])


def test_runs_lists_the_kept_runs_and_rollback_serves_an_earlier_one_everywhere(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    days = [NOW - timedelta(days=n) for n in (3, 2, 1)]
    first, second, third = (
        write_run(settings, day, rows) for day, rows in zip(days, (3, 5, 8), strict=True)
    )
    unfinished = write_run(settings, NOW, 1, report=False)

    assert main(["batch", "runs"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[1] if line.startswith("*") else line.split()[0] for line in listed] == [
        unfinished,
        third,
        second,
        first,
    ]
    assert listed[1].startswith(f"* {third}")
    assert "sales_wide 8" in listed[1]
    assert "incomplete" in listed[0]

    assert main(["batch", "rollback", second]) == 0
    assert f"published {second} again" in capsys.readouterr().out
    pointer = read_publication(LakeFiles.open(settings.lake_uri, settings))
    assert pointer is not None
    assert (pointer.run_id, pointer.cutoff) == (second, days[1])
    assert sales_wide_location(settings) == f"{settings.lake_uri}/{gold_run(second)}/{SALES_WIDE}/"
    assert [r.run_id for r in list_runs(settings) if r.published] == [second]

    assert main(["batch", "rollback", unfinished]) == 1
    refused = capsys.readouterr().err
    assert f"no complete run {unfinished!r}" in refused
    assert third in refused
    assert read_publication(LakeFiles.open(settings.lake_uri, settings)) == pointer


def test_pruning_keeps_the_served_run_whatever_its_age_and_the_newest_complete_ones(
    settings: Settings,
) -> None:
    runs = [write_run(settings, NOW - timedelta(days=n), n) for n in (9, 4, 3, 2, 1)]
    oldest, *_, newest = runs
    main(["batch", "rollback", oldest])
    stale = write_run(settings, NOW - timedelta(days=2, hours=1), 1, report=False)
    writing = write_run(settings, NOW - timedelta(hours=2), 1, report=False)

    removed = prune_runs(settings.model_copy(update={"gold_runs_kept": 2}), now=NOW)

    assert sorted(removed) == sorted([runs[1], runs[2], stale])
    left = {r.run_id for r in list_runs(settings)}
    assert left == {oldest, runs[3], newest, writing}
    assert [r.run_id for r in list_runs(settings) if r.published] == [oldest]
