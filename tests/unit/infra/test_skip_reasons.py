"""Every checkov skip's reason is true: what a reason says the stack does instead, the tree does.

A reason is an argument for leaving a check failed; a reason citing a protection nothing creates
(CloudTrail data events no trail records, API logs that are switched off) hides the gap it
should name. So each skipped check is listed here with a test of its reason's claims, and a new
skip fails until it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from contract.event import IngestedSaleEvent
from contract.settings import Settings
from tests.unit.infra.terraform_tree import (
    REPO_ROOT,
    TERRAFORM_DIR,
    blocks,
    policy_documents,
    resources,
)


def _skips() -> dict[str, str]:
    found: dict[str, str] = {}
    for tf in TERRAFORM_DIR.rglob("*.tf"):
        for check, reason in re.findall(r"checkov:skip=(CKV2?_AWS_\d+):([^\n]*)", tf.read_text()):
            found[check] = reason
    return found


def _in_module(module: str, resource_type: str) -> list[dict[str, object]]:
    return [r.body for r in resources(resource_type) if r.file.parent.name == module]


def _tasks_admit_only_the_load_balancer() -> None:
    (ingress,) = _in_module("ecs_service", "aws_vpc_security_group_ingress_rule")
    assert ingress["referenced_security_group_id"] == "${var.load_balancer.security_group_id}"
    assert "cidr_ipv4" not in ingress


def _lake_is_versioned_and_not_replicated() -> None:
    (versioning,) = _in_module("lake", "aws_s3_bucket_versioning")
    assert "Enabled" in str(versioning["versioning_configuration"])
    assert not resources("aws_s3_bucket_replication_configuration"), "the reason says: not set up"


def _no_access_logs_and_no_trail_claimed() -> None:
    reason = _skips()["CKV_AWS_18"]
    assert not resources("aws_cloudtrail")
    assert not re.search(r"audited with|instead", reason), "a trail nothing creates is cited"
    assert "CloudTrail S3 data events" in (REPO_ROOT / "docs" / "deploy.md").read_text()


def _only_the_lake_triggers_anything() -> None:
    (notification,) = resources("aws_s3_bucket_notification")
    assert notification.file.parent.name == "landing"


def _failures_of_each_invocation_kind_are_parked() -> None:
    (loader,) = [b for b in blocks("module") if b.file.parent.name == "landing"]
    assert loader.body["dead_letter_target_arn"] == "${var.dead_letter_queue_arn}"
    mappings = _in_module("speed", "aws_lambda_event_source_mapping")
    assert any("on_failure" in str(mapping.get("destination_config")) for mapping in mappings)
    queues = _in_module("stream", "aws_sqs_queue")
    assert any("redrive_policy" in queue for queue in queues)


def _functions_run_without_a_vpc() -> None:
    (function,) = _in_module("lambda_function", "aws_lambda_function")
    assert "vpc_config" not in function


def _functions_run_immutable_images() -> None:
    (function,) = _in_module("lambda_function", "aws_lambda_function")
    assert function["package_type"] == "Image"
    repositories = _in_module("registry", "aws_ecr_repository")
    assert repositories
    assert all(r["image_tag_mutability"] == "IMMUTABLE" for r in repositories)


def _key_policy_holds_every_service_to_this_account() -> None:
    (document,) = [d for d in policy_documents() if d.file.parent.name == "kms"]
    statements = document.body["statement"]
    services = [s for s in statements if s["principals"][0]["type"] == "Service"]
    assert services
    for statement in services:
        conditions = statement.get("condition", [])
        assert any(c["variable"] == "aws:SourceAccount" for c in conditions), statement["sid"]
    (logs,) = [s for s in services if "EncryptionContext" in str(s.get("condition"))]
    assert logs["sid"] == "CloudWatchLogsEncryptsLogGroups"
    assert any("alarm:*" in str(c["values"]) for s in services for c in s["condition"])


def _key_policy_resources_are_the_key() -> None:
    (key,) = _in_module("kms", "aws_kms_key")
    assert key["policy"] == "${data.aws_iam_policy_document.key.json}"


def _rotation_is_an_operator_procedure() -> None:
    operations = (REPO_ROOT / "docs" / "operations.md").read_text()
    assert "## API keys" in operations
    assert "To rotate a shop's" in operations


def _who_sent_what_is_kept_without_access_logs() -> None:
    assert {"source", "ingested_at"} <= set(IngestedSaleEvent.model_fields)
    errors = (REPO_ROOT / "ingest_api" / "errors.py").read_text()
    assert 'logger.info(\n        "request refused"' in errors
    assert "request_id_var" in (REPO_ROOT / "ingest_api" / "middleware.py").read_text()


def _without_waf_the_api_and_listener_refuse_on_their_own() -> None:
    aws = Settings(env="aws", api_keys=f"pos:{'a' * 64}")
    assert (aws.rate_limit_events_per_second or 0) > 0
    rules = _in_module("ingest", "aws_lb_listener_rule")
    assert any("fixed-response" in str(rule["action"]) for rule in rules)


REASON_CHECKS: dict[str, Callable[[], None]] = {
    "CKV_AWS_378": _tasks_admit_only_the_load_balancer,
    "CKV_AWS_144": _lake_is_versioned_and_not_replicated,
    "CKV_AWS_18": _no_access_logs_and_no_trail_claimed,
    "CKV2_AWS_62": _only_the_lake_triggers_anything,
    "CKV_AWS_116": _failures_of_each_invocation_kind_are_parked,
    "CKV_AWS_117": _functions_run_without_a_vpc,
    "CKV_AWS_272": _functions_run_immutable_images,
    "CKV_AWS_109": _key_policy_resources_are_the_key,
    "CKV_AWS_111": _key_policy_holds_every_service_to_this_account,
    "CKV_AWS_356": _key_policy_resources_are_the_key,
    "CKV2_AWS_57": _rotation_is_an_operator_procedure,
    "CKV_AWS_91": _who_sent_what_is_kept_without_access_logs,
    "CKV2_AWS_28": _without_waf_the_api_and_listener_refuse_on_their_own,
}


def test_every_skip_has_its_reason_checked() -> None:
    assert sorted(_skips()) == sorted(REASON_CHECKS)


def test_every_skip_reason_holds() -> None:
    failed = []
    for check, holds in REASON_CHECKS.items():
        try:
            holds()
        except AssertionError as error:
            failed.append(f"{check}: {error}")
    assert failed == []
