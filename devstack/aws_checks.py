"""`salesflow doctor --no-emulator`: the AWS account the stack would use instead of the emulator.

Credentials and region are read locally (cheap, `up` checks them too); each resource the local
stack talks to is then asked for by name, in parallel and with short timeouts, so an unreachable
endpoint costs seconds, not the SDK's minutes of retries. The resources are the ones the stack's
components use: the stream or queue of the sink, the dead-letter queue (the speed layer parks
bad records there), the lake bucket, and the Glue database, Athena workgroup and results bucket
when serving or publication goes through Athena.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from contract.aws import aws_client
from contract.lake import LakeLocation
from contract.settings import AwsService, Settings
from devstack.checks import Check, Status

CLIENT_CONFIG: dict[str, Any] = {
    "connect_timeout": 3,
    "read_timeout": 5,
    "retries": {"mode": "standard", "max_attempts": 1},
}
DEPLOY_FIX = "deploy it with Terraform (docs/deploy.md), or set {variable} to the name it printed"
_MISSING = {
    "ResourceNotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "NoSuchBucket",
    "404",
    "EntityNotFoundException",
}
_REFUSED = {
    "AccessDenied",
    "AccessDeniedException",
    "403",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
}
_UNREACHABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)


def check_credentials(session: boto3.Session | None = None) -> Check:
    """Credentials the AWS SDK would sign with (never printed), and where they come from."""
    session = session or boto3.Session()
    try:
        credentials = session.get_credentials()
    except BotoCoreError as error:  # a broken profile or SSO cache
        return Check("AWS credentials", Status.FAIL, str(error), _CREDENTIALS_FIX)
    if credentials is None:
        return Check("AWS credentials", Status.FAIL, "none found", _CREDENTIALS_FIX)
    profile = f", profile {session.profile_name}" if session.profile_name != "default" else ""
    return Check("AWS credentials", Status.OK, f"from {credentials.method}{profile}")


_CREDENTIALS_FIX = (
    "`aws configure` or `aws sso login --profile P` and export AWS_PROFILE=P, or export "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
)


def check_region(settings: Settings, env: dict[str, str] | None = None) -> Check:
    """The region every client uses: SALESFLOW_AWS_REGION, which must name a real one.

    With an endpoint override (LocalStack, a moto server) any name goes: the emulator decides.
    """
    env = dict(os.environ) if env is None else env
    region = settings.aws_region
    overridden = settings.endpoint_url("kinesis") or settings.endpoint_url("s3")
    known = boto3.Session().get_available_regions("kinesis")
    if not overridden and region not in known:
        return Check(
            "AWS region",
            Status.FAIL,
            f"{region!r} (SALESFLOW_AWS_REGION) is not an AWS region",
            "export SALESFLOW_AWS_REGION=<the region Terraform deployed to>, e.g. sa-east-1",
        )
    if "SALESFLOW_AWS_REGION" not in env and not overridden:
        return Check(
            "AWS region",
            Status.WARN,
            f"SALESFLOW_AWS_REGION is unset, so {region}",
            "export SALESFLOW_AWS_REGION=<the region Terraform deployed to>",
        )
    return Check("AWS region", Status.OK, region)


@dataclass(frozen=True)
class Resource:
    """A named resource, how to ask for it, and the setting that names it."""

    kind: str
    name: str
    service: AwsService
    variable: str
    ask: Callable[[Any], object]


def stack_resources(settings: Settings) -> list[Resource]:
    resources: list[Resource] = []
    if settings.sink == "kinesis":
        resources.append(
            Resource(
                "Kinesis stream",
                settings.stream_name,
                "kinesis",
                "SALESFLOW_STREAM_NAME",
                lambda c: c.describe_stream_summary(StreamName=settings.stream_name),
            )
        )
    else:
        resources.append(_queue(settings.queue_name, "SALESFLOW_QUEUE_NAME"))
    resources.append(
        _queue(settings.dead_letter_queue_name, "SALESFLOW_DEAD_LETTER_QUEUE_NAME", "SQS DLQ")
    )
    if settings.sink == "kinesis":
        resources.append(
            _queue(
                settings.kinesis_dead_letter_queue_name,
                "SALESFLOW_KINESIS_DEAD_LETTER_QUEUE_NAME",
                "Kinesis DLQ",
            )
        )
    location = LakeLocation.parse(settings.lake_uri)
    if location.scheme == "s3":
        resources.append(_bucket(location.root.split("/", 1)[0], "SALESFLOW_LAKE_URI", "S3 lake"))
    if "athena" in (settings.serving_engine, settings.publish_catalog):
        database, workgroup = settings.glue_database, settings.athena_workgroup
        resources += [
            Resource(
                "Glue database",
                database,
                "glue",
                "SALESFLOW_GLUE_DATABASE",
                lambda c: c.get_database(Name=database),
            ),
            Resource(
                "Athena workgroup",
                workgroup,
                "athena",
                "SALESFLOW_ATHENA_WORKGROUP",
                lambda c: c.get_work_group(WorkGroup=workgroup),
            ),
            _bucket(
                settings.athena_results_bucket, "SALESFLOW_ATHENA_RESULTS_BUCKET", "Athena results"
            ),
        ]
    return resources


def _queue(name: str, variable: str, kind: str = "SQS queue") -> Resource:
    return Resource(kind, name, "sqs", variable, lambda c: c.get_queue_url(QueueName=name))


def _bucket(name: str, variable: str, role: str) -> Resource:
    return Resource(f"{role} bucket", name, "s3", variable, lambda c: c.head_bucket(Bucket=name))


def check_resources(settings: Settings) -> list[Check]:
    """One check per resource, asked for in parallel; the order is the stack's, not the finish."""
    resources = stack_resources(settings)
    with ThreadPoolExecutor(max_workers=len(resources)) as pool:
        return list(pool.map(lambda resource: _check(settings, resource), resources))


def _check(settings: Settings, resource: Resource) -> Check:
    endpoint = settings.endpoint_url(resource.service)
    kind, name = resource.kind, resource.name
    try:
        resource.ask(aws_client(settings, resource.service, **CLIENT_CONFIG))
    except _UNREACHABLE as error:
        where = endpoint or f"AWS {resource.service} in {settings.aws_region}"
        variable = f"SALESFLOW_{resource.service.upper()}_ENDPOINT_URL"
        fix = (
            f"check that {endpoint} is up, or {variable} / SALESFLOW_AWS_ENDPOINT_URL"
            if endpoint
            else "check the network (proxy, VPN) and SALESFLOW_AWS_REGION"
        )
        reason = type(error).__name__
        return Check(kind, Status.FAIL, f"{name}: cannot reach {where} ({reason})", fix)
    except NoCredentialsError:
        return Check(kind, Status.FAIL, f"{name}: not checked, no credentials", _CREDENTIALS_FIX)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "") or code
        if code in _MISSING or "not found" in message.lower():
            fix = DEPLOY_FIX.format(variable=resource.variable)
            return Check(kind, Status.FAIL, f"{name} does not exist", fix)
        if code in _REFUSED:
            return Check(
                kind,
                Status.FAIL,
                f"{name}: refused, {code} ({message})",
                "use credentials of the deployment's account with its policies (docs/deploy.md); "
                "expired SSO: aws sso login",
            )
        return Check(kind, Status.FAIL, f"{name}: {code} ({message})", "see the AWS error")
    return Check(kind, Status.OK, f"{name} exists")
