"""Each role's policy against the AWS calls its code makes (IAM versus code).

Every component runs its real code against the moto server through a recording proxy, in the
lake layout Terraform deploys (the lake at the bucket's root). Each recorded request becomes what
IAM authorises (`recording_proxy.calls`: S3 requests from pyarrow's C++ client included, with the
listing's `s3:prefix`), and the component's policy document, rendered from the Terraform tree,
must allow every one of them. The other way round, every action the policy grants must be
exercised here or named in the component's `unexercised` with the reason the code cannot show it
(a failure path, a call AWS makes for the caller, Spark's own writes): a grant nobody needs is a
failure too. Moto does not enforce IAM; this test is what does.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contract.aws import aws_client
from contract.settings import Settings
from serving.engines.base import QueryEngine
from tests.conftest import load_event
from tests.integration.athena import create_athena_resources
from tests.integration.infra.recording_proxy import (
    ACCOUNT,
    REGION,
    Call,
    RecordingProxy,
    calls,
)
from tests.unit.infra.iam_policies import Renderer, Statement, allows, granted_actions
from tests.unit.infra.terraform_tree import MODULES_DIR, parse

KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
SERVICE_SIDE_KMS = "S3, Kinesis, SQS and Athena call KMS for the caller (SSE-KMS); no request here"
ATHENA_FOR_THE_CALLER = (
    "Athena reads the lake and the catalog, and writes results, with the caller's rights"
)


@pytest.fixture(scope="module")
def proxy(moto_endpoint: str) -> Iterator[RecordingProxy]:
    with RecordingProxy(moto_endpoint) as running:
        yield running


@pytest.fixture
def deployed(proxy: RecordingProxy, name_prefix: str, tmp_path: Path) -> Settings:
    """Settings as a deployed component has them: every name from the prefix, the lake at the
    lake bucket's root, every AWS call through the proxy; the resources Terraform creates."""
    settings = Settings(
        aws_endpoint_url=proxy.endpoint,
        name_prefix=name_prefix,
        state_dir=tmp_path / "state",
        lake_uri=f"s3://{name_prefix}-lake",
        csv_lambda_max_bytes=2000,
        serving_query_timeout_seconds=5.0,
    )
    create_athena_resources(settings)
    glue = aws_client(settings, "glue")
    glue.create_database(DatabaseInput={"Name": settings.glue_database})
    catalog = json.loads((MODULES_DIR / "catalog" / "tables.json").read_text())
    lake_root = f"s3://{settings.lake_bucket}"
    for table in catalog["tables"].values():
        text = json.dumps(table).replace(catalog["lake_root_placeholder"], lake_root)
        glue.create_table(DatabaseName=settings.glue_database, TableInput=json.loads(text))
    kinesis = aws_client(settings, "kinesis")
    kinesis.create_stream(StreamName=settings.stream_name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(
        StreamName=settings.stream_name, WaiterConfig={"Delay": 0.2}
    )
    sqs = aws_client(settings, "sqs")
    for queue in (settings.queue_name, settings.dead_letter_queue_name):
        sqs.create_queue(QueueName=queue)
    return settings


def terraform_values(settings: Settings) -> dict[str, str | list[str]]:
    """What Terraform would put for each reference the policy documents make."""
    arn = f"{REGION}:{ACCOUNT}"
    return {
        "data.aws_region.current.name": REGION,
        "data.aws_caller_identity.current.account_id": ACCOUNT,
        "var.kms_key_arn": KEY_ARN,
        "var.glue_catalog_kms_key_arn": "",
        "var.lake_bucket": settings.lake_bucket,
        'aws_s3_bucket.this["lake"].arn': f"arn:aws:s3:::{settings.lake_bucket}",
        "var.athena_results_bucket": settings.athena_results_bucket,
        "var.artifacts_bucket": f"{settings.name_prefix}-artifacts",
        "var.artifacts_prefix": "batch/0.1.0",
        "var.glue_database": settings.glue_database,
        "var.athena_workgroup_arn": f"arn:aws:athena:{arn}:workgroup/{settings.athena_workgroup}",
        "var.profile_table_arn": f"arn:aws:dynamodb:{arn}:table/{settings.name_prefix}-profiles",
        "var.landing_prefix": settings.csv_landing_prefix,
        "var.stream_arn": f"arn:aws:kinesis:{arn}:stream/{settings.stream_name}",
        "var.queue_arn": f"arn:aws:sqs:{arn}:{settings.queue_name}",
        "var.dead_letter_queue_arn": f"arn:aws:sqs:{arn}:{settings.dead_letter_queue_name}",
    }


@dataclass(frozen=True)
class Role:
    module: str
    document: str
    unexercised: dict[str, str]
    """Granted actions the code here cannot show, each with the reason it is granted."""
    each: str | None = None
    """The key of a `for_each` document (the speed module's one per handler)."""
    module_locals: tuple[tuple[str, str], ...] = ()
    """Values of the module's computed locals (`local.<name>`) that decide its statements."""

    def statements(self, settings: Settings) -> list[Statement]:
        values = terraform_values(settings) | dict(self.module_locals)
        if self.each is not None:
            handlers = _module_locals(self.module)["handlers"][self.each]
            values |= {f"each.value.{key}": value for key, value in handlers.items()}
        return Renderer(self.module, values).statements(self.document)


def _module_locals(module: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for file in (MODULES_DIR / module).glob("*.tf"):
        for block in parse(file).get("locals", []):
            merged.update(block)
    return merged


def check(role: Role, settings: Settings, made: list[Call]) -> None:
    """Every call allowed; every grant exercised or explained."""
    statements = role.statements(settings)
    denied = [
        str(call)
        for call in made
        for resource in call.resources
        if not allows(statements, call.action, resource, call.context)
    ]
    assert denied == [], f"{role.module}/{role.document} lacks:\n" + "\n".join(denied)
    exercised = {call.action for call in made}
    idle = granted_actions(statements) - exercised - role.unexercised.keys()
    assert idle == set(), f"{role.module}/{role.document} grants what no code here uses: {idle}"
    stale = role.unexercised.keys() & exercised
    assert stale == set(), f"exercised after all, drop from unexercised: {stale}"


def run_recorded(proxy: RecordingProxy, action: Callable[[], object]) -> list[Call]:
    with proxy.recorded() as requests:
        action()
    made = calls(requests)
    assert made, "the code made no AWS call through the proxy"
    return made


# --- the nightly job ---------------------------------------------------------------------------


def land_an_export(settings: Settings, name: str, body: bytes) -> dict[str, Any]:
    """Put an export under the landing prefix; the S3 event the bucket would send."""
    key = f"{settings.csv_landing_prefix}{name}"
    aws_client(settings, "s3").put_object(Bucket=settings.lake_bucket, Key=key, Body=body)
    record = {"s3": {"bucket": {"name": settings.lake_bucket}, "object": {"key": key}}}
    return {"Records": [{"eventName": "ObjectCreated:Put", **record}]}


def small_export(event_id: str = "EV-0000001") -> bytes:
    from tests.unit.batch_layer.csv_samples import csv_text, row

    return csv_text(row(event_id), row(f"{event_id}-B", unit_price="abc")).encode()


def large_export() -> bytes:
    from tests.unit.batch_layer.csv_samples import csv_text, row

    return csv_text(*(row(f"EV-L{n:06d}") for n in range(40))).encode()


def publish_a_run(settings: Settings) -> None:
    from batch_layer.publish import publish
    from contract.gold import MART_DIMENSIONS, QUALITY_QUARANTINE, SALES_WIDE
    from contract.lake import LakeLocation, gold_run
    from contract.publication import Publication

    run_id = "20261122T053000Z-20261122T053100-0a1b2c3d"
    publication = Publication(
        run_id=run_id,
        cutoff=datetime(2026, 11, 22, 5, 30, tzinfo=UTC),
        published_at=datetime.now(UTC),
        tables={
            table: f"{gold_run(run_id)}/{table}"
            for table in (SALES_WIDE, QUALITY_QUARANTINE, *MART_DIMENSIONS)
        },
        input_counts={"lines": 0},
        output_counts={SALES_WIDE: 0, QUALITY_QUARANTINE: 0},
        quality_counts={},
        duplicates=0,
        duration_seconds=1.0,
    )
    publish(LakeLocation.parse(settings.lake_uri), publication, settings)


def test_the_nightly_job_role_covers_the_pending_csv_loads_and_the_catalog_sync(
    deployed: Settings, proxy: RecordingProxy
) -> None:
    from batch_layer.catalog import sync_published_catalog
    from batch_layer.csv_lambda import handler
    from batch_layer.csv_pending import load_pending

    handler(land_an_export(deployed, "november.csv", large_export()), None, deployed)
    made = run_recorded(proxy, lambda: load_pending(deployed.lake_uri, settings=deployed))
    publish_a_run(deployed)
    catalog = deployed.model_copy(update={"publish_catalog": "athena"})
    made += run_recorded(proxy, lambda: sync_published_catalog(catalog, None))
    role = Role(
        "batch",
        "job",
        {
            "s3:AbortMultipartUpload": "a multipart upload cut short (a failed part or run)",
            "athena:StopQueryExecution": "a view statement past its timeout",
            "kms:Decrypt": SERVICE_SIDE_KMS,
            "kms:GenerateDataKey": SERVICE_SIDE_KMS,
            "s3:GetBucketLocation": ATHENA_FOR_THE_CALLER,
            "dynamodb:BatchWriteItem": "the customer profile load (tested on its own)",
            "dynamodb:PutItem": "the customer profile load (tested on its own)",
        },
    )
    check(role, deployed, made)
    deleted = [c.resources[0] for c in made if c.action == "s3:DeleteObject"]
    assert any("/bronze/csv_pending/" in resource for resource in deleted)


# --- the CSV Lambda ------------------------------------------------------------------------------


def test_the_csv_lambda_role_covers_small_mapped_large_and_refused_exports(
    deployed: Settings, proxy: RecordingProxy
) -> None:
    from batch_layer.csv_lambda import handler

    mapping = (Path(__file__).parents[3] / "examples" / "mappings" / "erp_pdv.toml").read_bytes()
    aws_client(deployed, "s3").put_object(
        Bucket=deployed.lake_bucket, Key="config/mappings/erp_pdv.toml", Body=mapping
    )
    events = [
        land_an_export(deployed, "small.csv", small_export()),
        land_an_export(deployed, "large.csv", large_export()),
        land_an_export(deployed, "erp_pdv/refused.csv", b"not,the,mapped,header\n1,2,3,4\n"),
        land_an_export(deployed, "unreadable.csv", b"a,b\n1,2\n"),
    ]
    made: list[Call] = []
    for event in events:
        made += run_recorded(proxy, functools.partial(handler, event, None, deployed))
    role = Role(
        "landing",
        "this",
        {
            "s3:AbortMultipartUpload": "a multipart upload cut short (a failed part or run)",
            "sqs:SendMessage": "Lambda parks the event of a failed invoke in the DLQ, not the code",
            "kms:Decrypt": SERVICE_SIDE_KMS,
            "kms:GenerateDataKey": SERVICE_SIDE_KMS,
        },
    )
    check(role, deployed, made)


# --- the speed layer ----------------------------------------------------------------------------


def kinesis_event(payloads: list[bytes]) -> dict[str, Any]:
    template = load_event("lambda_kinesis")
    records = []
    for offset, data in enumerate(payloads):
        record = copy.deepcopy(template["Records"][0])
        sequence = str(49590338271490256608559692538361571095921575989136588898 + offset * 1000)
        record["kinesis"].update(data=base64.b64encode(data).decode(), sequenceNumber=sequence)
        records.append(record)
    return {"Records": records}


def sqs_event(payloads: list[bytes]) -> dict[str, Any]:
    template = load_event("lambda_sqs")
    records = []
    for data in payloads:
        record = copy.deepcopy(template["Records"][0])
        record.update(body=data.decode(), messageId=str(uuid.uuid4()))
        records.append(record)
    return {"Records": records}


@pytest.mark.parametrize("source", ["kinesis", "sqs"])
def test_the_speed_handler_roles_cover_landing_a_batch_with_poison(
    deployed: Settings,
    proxy: RecordingProxy,
    make_event: Callable[..., dict[str, Any]],
    source: str,
) -> None:
    from contract.lake_io import LakeFiles
    from speed_layer.lambda_handlers import KinesisLanding, SqsLanding
    from tests.unit.speed_layer.wire_events import wire_records

    lake = LakeFiles.open(deployed.lake_uri, deployed)
    payloads = [*wire_records(make_event, 3), b'{"event_id": "EV-POISON-01"}']
    if source == "kinesis":
        made = run_recorded(proxy, lambda: KinesisLanding(lake)(kinesis_event(payloads), None))
    else:
        made = run_recorded(proxy, lambda: SqsLanding(lake)(sqs_event(payloads), None))
    reading = {
        "kinesis": [
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards",
            "kinesis:SubscribeToShard",
        ],
        "sqs": [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
        ],
    }[source]
    role = Role(
        "speed",
        "handler",
        {
            **dict.fromkeys(reading, "the event source mapping reads for the function"),
            "sqs:SendMessage": "the mapping parks a failed batch in the DLQ, not the code",
            "s3:AbortMultipartUpload": "a multipart upload cut short",
            "kms:Decrypt": SERVICE_SIDE_KMS,
            "kms:GenerateDataKey": SERVICE_SIDE_KMS,
        },
        each=source,
    )
    check(role, deployed, made)


def test_the_compaction_role_covers_merging_a_closed_hour(
    deployed: Settings, proxy: RecordingProxy, make_event: Callable[..., dict[str, Any]]
) -> None:
    from contract.lake import bronze_partition
    from contract.lake_io import LakeFiles
    from speed_layer import Batch, DeliveredRecord, land
    from speed_layer.compaction import compact_hour
    from tests.unit.speed_layer.wire_events import wire_records

    hour = datetime(2026, 11, 20, 22, 10, tzinfo=UTC)
    lake = LakeFiles.open(deployed.lake_uri, deployed)
    for n in range(3):
        records = tuple(DeliveredRecord(p, "s") for p in wire_records(make_event, 5, hour))
        land(Batch(f"shardId-000000000000-{n}", records), lake)
    made = run_recorded(proxy, lambda: compact_hour(lake, bronze_partition(hour)))
    role = Role(
        "batch",
        "compaction_task",
        {
            "s3:AbortMultipartUpload": "a multipart upload cut short",
            "kms:Decrypt": SERVICE_SIDE_KMS,
            "kms:GenerateDataKey": SERVICE_SIDE_KMS,
        },
    )
    check(role, deployed, made)


# --- the serving tasks and the ingest API ---------------------------------------------------------


def serve_one_query(engine: QueryEngine) -> None:
    """What a serving task does first: install the published run, answer a question over it."""
    try:
        engine.refresh()
        engine.query("SELECT count(*) AS n FROM sales_merged")
    finally:
        engine.close()


def test_the_serving_role_covers_moving_the_catalog_and_querying(
    deployed: Settings, proxy: RecordingProxy
) -> None:
    from serving.engines.athena_engine import AthenaEngine

    publish_a_run(deployed)
    made = run_recorded(proxy, lambda: serve_one_query(AthenaEngine(deployed)))
    role = Role(
        "serving",
        "task",
        {
            "athena:StopQueryExecution": "a query past its timeout",
            "glue:CreateDatabase": "the sync creates the database if it is missing (Terraform "
            "makes it first)",
            "glue:GetPartitions": ATHENA_FOR_THE_CALLER,
            "s3:GetBucketLocation": ATHENA_FOR_THE_CALLER,
            "s3:PutObject": ATHENA_FOR_THE_CALLER,
            "s3:AbortMultipartUpload": ATHENA_FOR_THE_CALLER,
            "kms:Decrypt": SERVICE_SIDE_KMS,
            "kms:GenerateDataKey": SERVICE_SIDE_KMS,
            "dynamodb:GetItem": "a customer's profile (tested with the customer API)",
        },
        module_locals=SERVING_ON_ATHENA,
    )
    check(role, deployed, made)


SERVING_ON_ATHENA = (("local.queries_athena", "true"), ("local.glue_catalog_key", ""))
SERVING_ON_DUCKDB = (("local.queries_athena", "false"), ("local.glue_catalog_key", ""))


def test_the_serving_module_grants_athena_only_to_an_athena_engine() -> None:
    """The grants' switch is the engine the shared environment names (docs/adr/0024)."""
    serving = _module_locals("serving")
    assert serving["queries_athena"] == (
        '${lookup(var.environment, "SALESFLOW_SERVING_ENGINE", "duckdb") == "athena"}'
    )
    assert serving["glue_catalog_key"] == (
        '${local.queries_athena ? var.glue_catalog_kms_key_arn : ""}'
    )


def test_the_serving_role_covers_duckdb_serving_from_the_lake(
    deployed: Settings, proxy: RecordingProxy
) -> None:
    """With `serving_engine = duckdb` the task reads the published run and bronze from S3 and
    answers itself, its tables in a database file as the Terraform root sets it: it may read the
    lake and nothing of Athena or Glue."""
    from serving.engines.duckdb_engine import DuckDBEngine

    publish_a_run(deployed)
    settings = deployed.model_copy(
        update={
            "serving_engine": "duckdb",
            "serving_database": str(deployed.state_dir / "serving.duckdb"),
            "serving_memory_limit": "1GB",
        }
    )
    made = run_recorded(proxy, lambda: serve_one_query(DuckDBEngine(settings)))
    role = Role(
        "serving",
        "task",
        {
            "s3:GetBucketLocation": "S3 clients that are not given the bucket's region",
            "s3:PutObject": "the reconciliation check's results (tested with reconciliation)",
            "kms:Decrypt": SERVICE_SIDE_KMS,
            "kms:GenerateDataKey": SERVICE_SIDE_KMS,
            "dynamodb:GetItem": "a customer's profile (tested with the customer API)",
        },
        module_locals=SERVING_ON_DUCKDB,
    )
    check(role, settings, made)
    assert not {call.action for call in made if call.action.startswith(("athena:", "glue:"))}


def test_the_ingest_role_covers_publishing_to_either_sink(
    deployed: Settings, proxy: RecordingProxy, make_event: Callable[..., dict[str, Any]]
) -> None:
    import asyncio

    from ingest_api.sinks import build_sink
    from ingest_api.sinks.base import Record

    async def publish(sink: str) -> None:
        target = build_sink(deployed.model_copy(update={"sink": sink}))
        try:
            await target.ready()
            event = make_event()
            await target.publish([Record(json.dumps(event).encode(), event["event_id"])])
        finally:
            await target.close()

    made: list[Call] = []
    for sink in ("kinesis", "sqs"):
        made += run_recorded(proxy, functools.partial(asyncio.run, publish(sink)))
    reports = "the tills' end-of-day reports (POST /v1/reconciliations, tested with the route)"
    role = Role(
        "ingest",
        "task",
        {
            "kms:Decrypt": SERVICE_SIDE_KMS,
            "kms:GenerateDataKey": SERVICE_SIDE_KMS,
            **dict.fromkeys(("s3:ListBucket", "s3:GetObject", "s3:PutObject"), reports),
        },
    )
    check(role, deployed, made)


# --- people and pipelines loading data: the lake-loader policy ------------------------------------


def test_the_lake_loader_policy_covers_reference_loads_and_csv_history(
    deployed: Settings, proxy: RecordingProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from salesflow.cli import main

    monkeypatch.setenv("SALESFLOW_AWS_ENDPOINT_URL", deployed.aws_endpoint_url or "")
    monkeypatch.setenv("SALESFLOW_NAME_PREFIX", deployed.name_prefix)
    monkeypatch.setenv("SALESFLOW_LAKE_URI", deployed.lake_uri)
    products = tmp_path / "products.csv"
    products.write_text("sku,name,category,unit_cost\nA-1,One,Tools,10.00\nB-2,Two,Tools,5.00\n")
    history = tmp_path / "history.csv"
    history.write_bytes(small_export())
    made = run_recorded(proxy, lambda: main(["reference", "load", "products", str(products)]))
    made += run_recorded(proxy, lambda: main(["load-csv", str(history)]))
    role = Role(
        "lake",
        "loader",
        {
            "s3:AbortMultipartUpload": "a multipart upload cut short",
            "kms:Decrypt": SERVICE_SIDE_KMS,
            "kms:GenerateDataKey": SERVICE_SIDE_KMS,
        },
    )
    check(role, deployed, made)
