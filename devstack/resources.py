"""Creates the AWS resources of the local stack on the emulator, named as Terraform names them.

Every create is idempotent: an existing resource is left alone, so `salesflow up` can point at
an emulator (or a real account) that already has them. Shapes follow `infra/terraform`: a
Kinesis stream, the SQS queue with its dead-letter queue and redrive policy, the lake bucket
when the lake is in S3, the DynamoDB checkpoint table with the KCL lease key, and the customer
profile table keyed by customer and run with its TTL (docs/adr/0013).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from contract.aws import aws_client
from contract.lake import LakeLocation
from contract.profile_store import EXPIRY_ATTRIBUTE, PARTITION_KEY, SORT_KEY
from contract.settings import Settings

logger = logging.getLogger(__name__)

STREAM_SHARDS = 2
QUEUE_VISIBILITY_SECONDS = 30
CHECKPOINT_TABLE_KEY = "leaseKey"

_NOT_FOUND = ("ResourceNotFoundException",)
_NO_QUEUE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


@dataclass(frozen=True)
class Bootstrap:
    created: list[str]
    """Resources made just now, like `kinesis:salesflow-sales-events`; the others existed."""
    stream_created: bool


def bootstrap_resources(settings: Settings, *, lake_uri: str) -> Bootstrap:
    created: list[str] = []
    stream_created = _ensure_stream(aws_client(settings, "kinesis"), settings.stream_name)
    if stream_created:
        created.append(f"kinesis:{settings.stream_name}")
    created += _ensure_queues(aws_client(settings, "sqs"), settings)
    location = LakeLocation.parse(lake_uri)
    if location.scheme == "s3":
        bucket = location.root.split("/", 1)[0]
        if _ensure_bucket(aws_client(settings, "s3"), bucket, settings.aws_region):
            created.append(f"s3:{bucket}")
    dynamodb = aws_client(settings, "dynamodb")
    if _ensure_table(dynamodb, settings.checkpoint_table):
        created.append(f"dynamodb:{settings.checkpoint_table}")
    if _ensure_profile_table(dynamodb, settings.customer_profiles_table):
        created.append(f"dynamodb:{settings.customer_profiles_table}")
    logger.info("resources ready", extra={"resources_created": created})
    return Bootstrap(created=created, stream_created=stream_created)


def _ensure_stream(kinesis: Any, name: str) -> bool:
    if _exists(lambda: kinesis.describe_stream_summary(StreamName=name), _NOT_FOUND):
        return False
    kinesis.create_stream(StreamName=name, ShardCount=STREAM_SHARDS)
    kinesis.get_waiter("stream_exists").wait(
        StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    return True


def _ensure_queues(sqs: Any, settings: Settings) -> list[str]:
    """The SQS DLQ first, then the queue redriving to it after `speed_max_attempts` receives; the
    dead-letter queues of the other sources (Kinesis batches, CSV loads) beside them."""
    created = []
    dlq_url, made = _ensure_queue(sqs, settings.dead_letter_queue_name, {})
    if made:
        created.append(f"sqs:{settings.dead_letter_queue_name}")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": settings.speed_max_attempts}
    attributes = {
        "VisibilityTimeout": str(QUEUE_VISIBILITY_SECONDS),
        "RedrivePolicy": json.dumps(redrive),
    }
    _, made = _ensure_queue(sqs, settings.queue_name, attributes)
    if made:
        created.append(f"sqs:{settings.queue_name}")
    for name in (settings.kinesis_dead_letter_queue_name, settings.csv_dead_letter_queue_name):
        _, made = _ensure_queue(sqs, name, {})
        if made:
            created.append(f"sqs:{name}")
    return created


def _ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, bool]:
    try:
        url: str = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return url, False
    except ClientError as error:
        if error.response["Error"]["Code"] not in _NO_QUEUE:
            raise
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, True


def _ensure_bucket(s3: Any, bucket: str, region: str) -> bool:
    if _exists(lambda: s3.head_bucket(Bucket=bucket), ("404", "NoSuchBucket")):
        return False
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    return True


def _ensure_table(dynamodb: Any, name: str) -> bool:
    """The speed layer's checkpoint table, keyed by shard."""
    return _ensure_dynamodb_table(dynamodb, name, [(CHECKPOINT_TABLE_KEY, "HASH")])


def _ensure_profile_table(dynamodb: Any, name: str) -> bool:
    """Terraform's `customer_profiles` table: (customer_id, run_id) keys, TTL on `expires_at`."""
    keys = [(PARTITION_KEY, "HASH"), (SORT_KEY, "RANGE")]
    if not _ensure_dynamodb_table(dynamodb, name, keys):
        return False
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": EXPIRY_ATTRIBUTE},
    )
    return True


def _ensure_dynamodb_table(dynamodb: Any, name: str, keys: list[tuple[str, str]]) -> bool:
    """An on-demand table with string `keys` ((attribute, HASH or RANGE)); True if made now."""
    if _exists(lambda: dynamodb.describe_table(TableName=name), _NOT_FOUND):
        return False
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key, _ in keys],
        KeySchema=[{"AttributeName": key, "KeyType": kind} for key, kind in keys],
    )
    return True


def _exists(describe: Callable[[], object], missing: tuple[str, ...]) -> bool:
    """Whether `describe` finds the resource: False on one of the `missing` error codes."""
    try:
        describe()
    except ClientError as error:
        if error.response["Error"]["Code"] not in missing:
            raise
        return False
    return True
