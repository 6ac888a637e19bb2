"""One place builds every boto3 client: region, endpoint override and retry policy."""

from __future__ import annotations

from contract.aws import aws_client
from contract.settings import Settings


def test_a_client_talks_to_the_services_own_endpoint_in_the_configured_region() -> None:
    settings = Settings(
        aws_region="sa-east-1",
        aws_endpoint_url="http://127.0.0.1:4566",
        s3_endpoint_url="http://127.0.0.1:9000",
    )
    s3 = aws_client(settings, "s3")
    assert (s3.meta.endpoint_url, s3.meta.region_name) == ("http://127.0.0.1:9000", "sa-east-1")
    assert aws_client(settings, "sqs").meta.endpoint_url == "http://127.0.0.1:4566"


def test_retries_are_standard_unless_the_caller_says_otherwise() -> None:
    settings = Settings(aws_endpoint_url="http://127.0.0.1:4566")
    default = aws_client(settings, "kinesis").meta.config
    # botocore counts the first attempt too: 3 retries are 4 attempts in all.
    assert default.retries == {"mode": "standard", "total_max_attempts": 4}
    tuned = aws_client(settings, "kinesis", retries={"max_attempts": 1}, connect_timeout=2).meta
    assert (tuned.config.retries["total_max_attempts"], tuned.config.connect_timeout) == (2, 2)
