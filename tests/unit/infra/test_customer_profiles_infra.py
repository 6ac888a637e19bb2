"""The customer profile table and who may use it, read with python-hcl2 (docs/adr/0013).

The table's keys and TTL attribute are the profile store's own constants, so the code and the
deployment agree by construction; the batch role may only put items and the serving role only
get them, on this one table.
"""

from __future__ import annotations

from typing import Any

from contract.profile_store import EXPIRY_ATTRIBUTE, PARTITION_KEY, SORT_KEY
from tests.unit.infra.terraform_tree import ENV_DIR, Block, blocks, policy_documents, resources


def _profile_table() -> dict[str, Any]:
    (table,) = [
        r
        for r in resources("aws_dynamodb_table")
        if r.file.parent.name == "customer_profiles" and r.name == "this"
    ]
    return table.body


def test_the_table_is_keyed_by_customer_and_run_and_expires_old_runs() -> None:
    table = _profile_table()
    assert (table["hash_key"], table["range_key"]) == (PARTITION_KEY, SORT_KEY)
    assert {(a["name"], a["type"]) for a in table["attribute"]} == {
        (PARTITION_KEY, "S"),
        (SORT_KEY, "S"),
    }
    assert table["ttl"] == [{"attribute_name": EXPIRY_ATTRIBUTE, "enabled": True}]


def test_the_table_is_on_demand_encrypted_with_the_platform_key_and_recoverable() -> None:
    table = _profile_table()
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["server_side_encryption"] == [
        {"enabled": True, "kms_key_arn": "${var.kms_key_arn}"}
    ]
    assert table["point_in_time_recovery"] == [{"enabled": True}]
    assert table["deletion_protection_enabled"] == "${var.deletion_protection}"


def _dynamodb_grants(module: str, document: str) -> dict[str, list[str]]:
    (found,) = [d for d in policy_documents() if (d.file.parent.name, d.name) == (module, document)]
    statements = found.body["statement"]
    grants: dict[str, list[str]] = {}
    for statement in statements if isinstance(statements, list) else [statements]:
        for action in statement["actions"]:
            if action.startswith("dynamodb:"):
                grants.setdefault(action, []).extend(statement["resources"])
    return grants


def test_the_nightly_job_may_only_put_profiles_into_the_one_table() -> None:
    assert _dynamodb_grants("batch", "job") == {
        "dynamodb:BatchWriteItem": ["${var.profile_table_arn}"],
        "dynamodb:PutItem": ["${var.profile_table_arn}"],
    }


def test_the_serving_tasks_may_only_get_profiles_from_the_one_table() -> None:
    assert _dynamodb_grants("serving", "task") == {"dynamodb:GetItem": ["${var.profile_table_arn}"]}


def _env_module(name: str) -> Block:
    (module,) = [m for m in blocks("module") if m.file.parent == ENV_DIR and m.name == name]
    return module


def test_the_env_root_hands_the_table_to_the_job_and_the_serving_tasks() -> None:
    for name in ("batch", "serving"):
        arn = _env_module(name).body["profile_table_arn"]
        assert arn == "${module.customer_profiles.table_arn}", name
    table = _env_module("customer_profiles").body
    assert table["kms_key_arn"] == "${module.kms.key_arn}"
    assert table["deletion_protection"] == "${!var.force_destroy}"
