"""The CSV Lambda handler and the publication pointer against S3 on a real moto server."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from batch_layer.csv_lambda import handler
from batch_layer.publish import publish, read_publication
from contract.aws import aws_client
from contract.lake import LakeLocation
from contract.publication import Publication
from contract.settings import Settings
from tests.unit.batch_layer.csv_samples import csv_text, row


@pytest.fixture
def s3_settings(moto_settings: Settings) -> Settings:
    aws_client(moto_settings, "s3").create_bucket(Bucket=moto_settings.lake_bucket)
    return moto_settings.model_copy(update={"lake_uri": f"s3://{moto_settings.lake_bucket}/prod"})


def object_created(bucket: str, key: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key}},
            }
        ]
    }


def test_a_landed_csv_is_loaded_into_bronze(s3_settings: Settings):
    s3 = aws_client(s3_settings, "s3")
    bucket = s3_settings.lake_bucket
    body = csv_text(row(), row("EV-0000002", unit_price="abc")).encode()
    s3.put_object(Bucket=bucket, Key="landing/csv/vendas+nov.csv", Body=body)
    summary = handler(object_created(bucket, "landing/csv/vendas%2Bnov.csv"), None, s3_settings)
    (loaded,) = summary["loaded"]
    assert (loaded["accepted"], loaded["rejected"], loaded["already_loaded"]) == (1, 1, False)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="prod/")["Contents"]]
    (upload_part,) = loaded["upload_parts"]
    upload_key = f"prod/{upload_part}"
    assert upload_key in keys
    assert any(k.startswith("prod/bronze/_quarantine/csv/") for k in keys)
    text = s3.get_object(Bucket=bucket, Key=upload_key)["Body"].read().decode()
    (accepted,) = csv.DictReader(io.StringIO(text))
    assert accepted["source"] == "csv:vendas_nov.csv"

    again = handler(object_created(bucket, "landing/csv/vendas%2Bnov.csv"), None, s3_settings)
    assert again["loaded"][0]["already_loaded"]


def test_an_unreadable_csv_stays_put_with_a_note(s3_settings: Settings):
    s3 = aws_client(s3_settings, "s3")
    bucket = s3_settings.lake_bucket
    s3.put_object(Bucket=bucket, Key="landing/csv/bad.csv", Body=b"a,b\n1,2\n")
    summary = handler(object_created(bucket, "landing/csv/bad.csv"), None, s3_settings)
    assert "header must name each of" in summary["rejected"][0]["reason"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert "landing/csv/bad.csv" in keys
    (note,) = [k for k in keys if k.endswith(".rejected.txt")]
    assert note.startswith("prod/bronze/_quarantine/csv/")


def test_the_pointer_is_one_object_replaced_whole_on_s3(s3_settings: Settings):
    lake = LakeLocation.parse(s3_settings.lake_uri)
    assert read_publication(lake, s3_settings) is None
    publication = Publication(
        run_id="r1",
        cutoff=datetime(2026, 11, 22, 3, tzinfo=UTC),
        published_at=datetime(2026, 11, 22, 3, 9, tzinfo=UTC),
        tables={"sales_wide": "gold/runs/r1/sales_wide"},
        input_counts={"lines": 0},
        output_counts={"sales_wide": 0},
        quality_counts={},
        duplicates=0,
        duration_seconds=0.1,
    )
    publish(lake, publication, s3_settings)
    assert read_publication(lake, s3_settings) == publication
    keys = {
        o["Key"]
        for o in aws_client(s3_settings, "s3").list_objects_v2(Bucket=s3_settings.lake_bucket)[
            "Contents"
        ]
    }
    assert keys == {"prod/gold/_published.json", "prod/gold/runs/r1/_run.json"}
