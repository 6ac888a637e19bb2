"""`salesflow speed`: run the local poller (Kinesis or SQS) until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import threading
from typing import Any

from botocore.exceptions import ClientError

from contract.aws import aws_client
from contract.lake import LakeLocation
from contract.lake_io import LakeFiles
from contract.settings import Settings
from contract.structured_logging import configure_logging
from speed_layer.batching import BatchingPolicy
from speed_layer.checkpoints import CheckpointFile
from speed_layer.dead_letters import DeadLetterQueue
from speed_layer.errors import CheckpointLockedError, MissingResourceError
from speed_layer.kinesis_poller import KinesisPoller
from speed_layer.landing import warm_up
from speed_layer.shutdown import stop_on_signals
from speed_layer.sqs_poller import SqsPoller

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        choices=["kinesis", "sqs"],
        default=None,
        help="what to consume (default: SALESFLOW_SINK, the stream the ingest API writes to)",
    )
    parser.add_argument(
        "--lake", default=None, help="lake URI, a folder or s3://bucket/prefix (SALESFLOW_LAKE_URI)"
    )


def run(args: argparse.Namespace) -> int:
    configure_logging()
    try:
        settings = Settings()
        lake_uri = LakeLocation.parse(args.lake or settings.lake_uri).uri
    except ValueError as error:
        logger.error("invalid settings: %s", error)
        return 2
    source = args.source or ("sqs" if settings.sink == "sqs" else "kinesis")
    try:
        consume(settings, source, lake_uri=lake_uri, stop=stop_on_signals())
    except (MissingResourceError, CheckpointLockedError) as error:
        logger.error("%s", error)
        return 1
    return 0


def consume(settings: Settings, source: str, *, lake_uri: str, stop: threading.Event) -> None:
    """Poll `source` into the lake until `stop` is set (the entry point tests and devstack use)."""
    warm_up()
    lake = LakeFiles.open(lake_uri, settings)
    policy = BatchingPolicy.from_settings(settings)
    sqs = aws_client(settings, "sqs")
    if source == "sqs":
        dead_letters = DeadLetterQueue(sqs, _queue_url(sqs, settings.dead_letter_queue_name))
        SqsPoller(
            sqs_client=sqs,
            queue_url=_queue_url(sqs, settings.queue_name),
            lake=lake,
            dead_letters=dead_letters,
            policy=policy,
            stop=stop,
        ).run()
        return
    dead_letters = DeadLetterQueue(sqs, _queue_url(sqs, settings.kinesis_dead_letter_queue_name))
    kinesis = aws_client(settings, "kinesis")
    _require_stream(kinesis, settings.stream_name)
    with CheckpointFile.for_stream(settings.state_dir, settings.stream_name) as checkpoints:
        KinesisPoller(
            kinesis_client=kinesis,
            stream_name=settings.stream_name,
            lake=lake,
            checkpoints=checkpoints,
            dead_letters=dead_letters,
            policy=policy,
            stop=stop,
        ).run()


def _queue_url(sqs: Any, name: str) -> str:
    try:
        url: str = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as error:
        raise MissingResourceError(
            f"SQS queue {name!r} does not exist: start the stack with `salesflow up`, or create "
            "it (Terraform does in AWS)"
        ) from error
    return url


def _require_stream(kinesis: Any, name: str) -> None:
    try:
        kinesis.describe_stream_summary(StreamName=name)
    except ClientError as error:
        raise MissingResourceError(
            f"Kinesis stream {name!r} does not exist: start the stack with `salesflow up`, or "
            "create it (Terraform does in AWS)"
        ) from error
