"""`salesflow speed`: run the local poller (Kinesis or SQS), or the KCL MultiLangDaemon with the
project's record processor (Kinesis), until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import threading
from pathlib import Path
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
from speed_layer.kcl_daemon import DaemonConfig, daemon_command, logback_config, run_daemon
from speed_layer.kinesis_poller import KinesisPoller
from speed_layer.landing import warm_up
from speed_layer.shutdown import stop_on_signals
from speed_layer.sqs_poller import SqsPoller

logger = logging.getLogger(__name__)

KCL_IMAGE_JARS = Path("/opt/kcl/jars")


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
    parser.add_argument(
        "--consumer",
        choices=["poller", "kcl"],
        default="poller",
        help="kcl: the KCL MultiLangDaemon (Java, leases in DynamoDB, Kinesis only) instead of the "
        "local poller",
    )
    parser.add_argument(
        "--kcl-jars",
        type=Path,
        default=KCL_IMAGE_JARS,
        help="folder of the MultiLangDaemon's jars when the stream is on AWS (default: "
        f"{KCL_IMAGE_JARS}, the image's; against the emulator, the set-up's kcl bundle)",
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
    if args.consumer == "kcl":
        if source != "kinesis":
            logger.error("--consumer kcl reads Kinesis only: drop --source sqs")
            return 2
        return run_kcl(settings, lake_uri=lake_uri, jars=args.kcl_jars, stop=stop_on_signals())
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


def run_kcl(settings: Settings, *, lake_uri: str, jars: Path, stop: threading.Event) -> int:
    """Run the MultiLangDaemon until `stop`; against an emulator, with the set-up's jars and Java
    and Kinesis behind the local HTTP/2 bridge (`devstack.kcl_local`, in a checkout only)."""
    try:
        _require_stream(aws_client(settings, "kinesis"), settings.stream_name)
    except MissingResourceError as error:
        logger.error("%s", error)
        return 1
    env = {**os.environ, "SALESFLOW_LAKE_URI": lake_uri}
    kinesis_endpoint = settings.endpoint_url("kinesis")
    if kinesis_endpoint is None:
        config = DaemonConfig.from_settings(settings, local=None)
        return _run_with_properties(config, Path("java"), jars, env, stop)
    from devstack.errors import DevstackError
    from devstack.kcl_local import local_kcl

    dynamodb_endpoint = settings.endpoint_url("dynamodb") or kinesis_endpoint
    try:
        with local_kcl(kinesis_endpoint, dynamodb_endpoint) as local:
            config = DaemonConfig.from_settings(settings, local=local.endpoints)
            return _run_with_properties(config, local.java, local.jars, env, stop)
    except DevstackError as error:
        logger.error("%s", error)
        return 1


def _run_with_properties(
    config: DaemonConfig, java: Path, jars: Path, env: dict[str, str], stop: threading.Event
) -> int:
    with tempfile.TemporaryDirectory(prefix="salesflow-kcl-") as folder:
        properties = Path(folder) / "kcl.properties"
        properties.write_text(config.properties())
        logback = Path(folder) / "logback.xml"
        logback.write_text(logback_config())
        logger.info(
            "KCL worker %s on stream %s, leases in %s",
            config.worker_id,
            config.stream_name,
            config.lease_table,
        )
        return run_daemon(daemon_command(java, jars, config, properties, logback), env, stop)


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
