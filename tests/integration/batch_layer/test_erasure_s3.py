"""The erasure on an S3 lake with versioning on, as deployed: no version of any object keeps the
customer's id, a loaded export's original is gone, the profile store forgets them."""

from __future__ import annotations

import hashlib
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from batch_layer.erasure import forget_customer
from contract.aws import aws_client
from contract.settings import Settings
from devstack.resources import bootstrap_resources
from tests.integration.batch_layer.lake_scan import s3_versions_naming

CUSTOMER = "C-004711"


@pytest.fixture
def settings(moto_settings: Settings) -> Settings:
    s3 = aws_client(moto_settings, "s3")
    s3.create_bucket(Bucket=moto_settings.lake_bucket)
    s3.put_bucket_versioning(
        Bucket=moto_settings.lake_bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    return moto_settings.model_copy(update={"lake_uri": f"s3://{moto_settings.lake_bucket}"})


def parquet(customer: str) -> bytes:
    table = pa.table(
        {
            "event_id": ["EV-1", "EV-2"],
            "customer_id": [customer, "C-000001"],
            "attributes": pa.array(
                [[("loyalty_card", customer)], [("loyalty_card", "X-1")]],
                type=pa.map_(pa.string(), pa.string()),
            ),
            "items": pa.array(
                [[{"sku": "A-1", "note": f"for {customer}"}], [{"sku": "B-2", "note": None}]],
                type=pa.list_(pa.struct([("sku", pa.string()), ("note", pa.string())])),
            ),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_no_version_of_any_object_keeps_the_customer(settings: Settings) -> None:
    s3 = aws_client(settings, "s3")
    bucket = settings.lake_bucket
    bronze = "bronze/sales_events/ingest_date=2026-11-20/ingest_hour=10/shard-1-2.parquet"
    s3.put_object(Bucket=bucket, Key=bronze, Body=parquet("C-000009"))
    s3.put_object(Bucket=bucket, Key=bronze, Body=parquet(CUSTOMER))
    upload = "bronze/csv_uploads/abc-00001.csv"
    s3.put_object(
        Bucket=bucket, Key=upload, Body=f"event_id,customer_id\nEV-3,{CUSTOMER}\n".encode()
    )
    export = f"cliente,nome\n{CUSTOMER},Maria\n".encode()
    s3.put_object(Bucket=bucket, Key="landing/csv/clientes.csv", Body=export)
    digest = hashlib.sha256(export).hexdigest()
    s3.put_object(Bucket=bucket, Key=f"bronze/csv_loads/{digest}.json", Body=b"{}")
    refused = f"file_line,reason,cliente,nome,ingested_at,source\n2,bad,{CUSTOMER},Maria,t,s\n"
    s3.put_object(Bucket=bucket, Key="bronze/_quarantine/csv/abc-00001.csv", Body=refused.encode())
    assert len(s3_versions_naming(s3, bucket, CUSTOMER)) == 4

    report = forget_customer(settings, CUSTOMER)

    assert s3_versions_naming(s3, bucket, CUSTOMER) == []
    assert s3_versions_naming(s3, bucket, "Maria") == []
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert "landing/csv/clientes.csv" not in keys
    audit = json.loads(
        s3.get_object(Bucket=bucket, Key=f"audit/erasures/{report.request_id}.json")["Body"].read()
    )
    assert audit["object_versions_deleted"] >= 3
    table = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=bronze)["Body"].read()))
    assert table["customer_id"].to_pylist() == [report.pseudonym, "C-000001"]
    assert table["attributes"].to_pylist()[0] == [("loyalty_card", report.pseudonym)]
    assert table["items"].to_pylist()[0][0]["note"] == f"for {report.pseudonym}"


def test_the_profile_store_forgets_every_run_of_the_customer(settings: Settings) -> None:
    bootstrap_resources(settings, lake_uri=settings.lake_uri)
    dynamodb = aws_client(settings, "dynamodb")
    table = settings.customer_profiles_table
    for customer, run in ((CUSTOMER, "run-1"), (CUSTOMER, "run-2"), ("C-000001", "run-2")):
        dynamodb.put_item(
            TableName=table, Item={"customer_id": {"S": customer}, "run_id": {"S": run}}
        )
    store_settings = settings.model_copy(update={"customer_profile_store": "dynamodb"})

    report = forget_customer(store_settings, CUSTOMER)

    assert report.profile_items_deleted == 2
    left = dynamodb.scan(TableName=table)["Items"]
    assert [item["customer_id"]["S"] for item in left] == ["C-000001"]
