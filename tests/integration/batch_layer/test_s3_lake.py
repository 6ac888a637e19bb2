"""The CSV Lambda handler and the publication pointer against S3 on a real moto server."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from batch_layer.csv_lambda import handler
from batch_layer.csv_pending import load_pending
from batch_layer.publish import publish
from contract.aws import aws_client
from contract.lake import LakeLocation
from contract.lake_io import LakeFiles
from contract.publication import Publication, read_publication
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
    assert read_publication(LakeFiles.open(lake.uri, s3_settings)) is None
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
    assert read_publication(LakeFiles.open(lake.uri, s3_settings)) == publication
    keys = {
        o["Key"]
        for o in aws_client(s3_settings, "s3").list_objects_v2(Bucket=s3_settings.lake_bucket)[
            "Contents"
        ]
    }
    assert keys == {"prod/gold/_published.json", "prod/gold/runs/r1/_run.json"}


EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
ERP_EXPORT = EXAMPLES / "exports" / "erp_pdv_vendas_2026-11.csv"


def _install_mapping(settings: Settings, name: str) -> None:
    aws_client(settings, "s3").put_object(
        Bucket=settings.lake_bucket,
        Key=f"prod/config/mappings/{name}.toml",
        Body=(EXAMPLES / "mappings" / "erp_pdv.toml").read_bytes(),
    )


def _keys(settings: Settings, prefix: str) -> list[str]:
    """Object keys under `prefix`, without the empty folder markers pyarrow leaves (`.../`)."""
    listing = aws_client(settings, "s3").list_objects_v2(Bucket=settings.lake_bucket, Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", []) if not item["Key"].endswith("/")]


def test_a_landed_export_in_a_mapping_folder_is_read_with_the_lake_mapping(s3_settings: Settings):
    _install_mapping(s3_settings, "erp_pdv")
    bucket = s3_settings.lake_bucket
    key = "landing/csv/erp_pdv/2026/11/vendas.csv"
    aws_client(s3_settings, "s3").put_object(Bucket=bucket, Key=key, Body=ERP_EXPORT.read_bytes())
    summary = handler(object_created(bucket, key), None, s3_settings)
    (loaded,) = summary["loaded"]
    assert (loaded["mapping"], loaded["accepted"], loaded["rejected"]) == ("erp_pdv", 20, 0)
    (part,) = loaded["upload_parts"]
    text = aws_client(s3_settings, "s3").get_object(Bucket=bucket, Key=f"prod/{part}")["Body"]
    rows = list(csv.DictReader(io.StringIO(text.read().decode())))
    assert {row["source"] for row in rows} == {"csv:erp-lojas-pdv/vendas.csv"}
    assert _keys(s3_settings, "prod/bronze/_staging/") == []


def test_an_export_for_a_mapping_the_lake_lacks_stays_put_with_a_note(s3_settings: Settings):
    bucket = s3_settings.lake_bucket
    key = "landing/csv/nobody/vendas.csv"
    aws_client(s3_settings, "s3").put_object(Bucket=bucket, Key=key, Body=ERP_EXPORT.read_bytes())
    summary = handler(object_created(bucket, key), None, s3_settings)
    (rejected,) = summary["rejected"]
    assert "no mapping 'nobody' in the lake" in rejected["reason"]
    (note,) = _keys(s3_settings, "prod/bronze/_quarantine/csv/")
    assert note.endswith(".rejected.txt")
    assert key in _keys(s3_settings, "landing/")


def test_an_export_too_large_for_the_lambda_is_loaded_by_the_batch_side(s3_settings: Settings):
    _install_mapping(s3_settings, "erp_pdv")
    settings = s3_settings.model_copy(update={"csv_lambda_max_bytes": 1024})
    s3 = aws_client(settings, "s3")
    bucket = settings.lake_bucket
    key = "landing/csv/erp_pdv/vendas-2026-11.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=ERP_EXPORT.read_bytes())
    landed_at = s3.head_object(Bucket=bucket, Key=key)["LastModified"]

    summary = handler(object_created(bucket, key), None, settings)
    assert summary["loaded"] == []
    (pending,) = summary["pending"]
    assert pending["bytes"] == ERP_EXPORT.stat().st_size > 1024
    (request_key,) = _keys(settings, "prod/bronze/csv_pending/")
    request = json.loads(s3.get_object(Bucket=bucket, Key=request_key)["Body"].read())
    assert (request["key"], request["mapping"]) == (key, "erp_pdv")
    assert _keys(settings, "prod/bronze/csv_uploads/") == []
    again = handler(object_created(bucket, key), None, settings)
    assert again["pending"][0]["request"] == pending["request"], "a retry writes the same request"

    (outcome,) = load_pending(settings.lake_uri, settings=settings)
    assert outcome.loaded
    assert outcome.detail == "20 rows loaded in 1 part, 0 quarantined"
    assert _keys(settings, "prod/bronze/csv_pending/") == []
    (part,) = _keys(settings, "prod/bronze/csv_uploads/")
    rows = list(
        csv.DictReader(io.StringIO(s3.get_object(Bucket=bucket, Key=part)["Body"].read().decode()))
    )
    assert len(rows) == 20
    assert {datetime.fromisoformat(row["ingested_at"]) for row in rows} == {landed_at}
    assert load_pending(settings.lake_uri, settings=settings) == []
