"""Terraform refuses what AWS would refuse half-way through an apply, and keeps account-wide and
undeletable things opt-in. Structure with python-hcl2; the refusals themselves with the Terraform
CLI where the AWS provider is on the machine (`terraform plan` stops at variable validation,
before any AWS call)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from contract.names import NAME_PREFIX_PATTERN
from contract.settings import Settings
from tests.unit.infra.terraform_cli import PLUGIN_DIR, copy_tree, init, provider_available, run
from tests.unit.infra.terraform_tree import (
    ENV_DIR,
    MODULES_DIR,
    TERRAFORM_DIR,
    Block,
    blocks,
    parse,
    resources,
)

LONGEST_PREFIX = "a" * 24
TARGET_GROUP_AND_LOAD_BALANCER_LIMIT = 32


def _variable(directory: Path, name: str) -> dict[str, Any]:
    (found,) = [v.body for v in blocks("variable") if v.file.parent == directory and v.name == name]
    return found


def _conditions(variable: dict[str, Any]) -> list[str]:
    return [str(v["condition"]) for v in variable.get("validation", [])]


def test_every_module_validates_name_prefix_as_the_settings_do() -> None:
    prefixes = [v for v in blocks("variable") if v.name == "name_prefix"]
    assert len(prefixes) >= 12
    for variable in prefixes:
        (condition,) = _conditions(variable.body)
        assert condition == f'${{can(regex("{NAME_PREFIX_PATTERN}", var.name_prefix))}}', (
            variable.where
        )
    assert re.fullmatch(NAME_PREFIX_PATTERN, LONGEST_PREFIX)
    assert not re.fullmatch(NAME_PREFIX_PATTERN, LONGEST_PREFIX + "a")
    assert not re.fullmatch(NAME_PREFIX_PATTERN, "acme-")
    assert Settings.model_fields["name_prefix"].metadata[0].pattern == NAME_PREFIX_PATTERN


def test_the_longest_prefix_names_every_load_balancer_and_target_group_within_32() -> None:
    """`<prefix>-ingest` (the load balancer) and `<prefix>-<short_name>` (each service's target
    group) are the shortest AWS limits any name here meets."""
    (load_balancer,) = resources("aws_lb")
    name = str(load_balancer.body["name"]).replace("${var.name_prefix}", LONGEST_PREFIX)
    assert len(name) <= TARGET_GROUP_AND_LOAD_BALANCER_LIMIT, name
    (target_group,) = resources("aws_lb_target_group")
    assert target_group.body["name"] == "${var.name_prefix}-${var.short_name}"
    services = [
        m.body
        for m in blocks("module")
        if m.body["source"] == "../ecs_service" and "load_balancer" in m.body
    ]
    assert {s["short_name"] for s in services} == {"ingest", "serving"}
    for service in services:
        name = f"{LONGEST_PREFIX}-{service['short_name']}"
        assert len(name) <= TARGET_GROUP_AND_LOAD_BALANCER_LIMIT, name
    conditions = _conditions(_variable(MODULES_DIR / "ecs_service", "load_balancer"))
    assert any("length(" in c and "<= 32" in c for c in conditions), conditions


def test_a_dashboard_needs_at_least_one_allowed_network() -> None:
    conditions = _conditions(_variable(ENV_DIR, "dashboard_allowed_cidr_blocks"))
    assert (
        '${var.dashboard_host_name == "" || length(var.dashboard_allowed_cidr_blocks) >= 1}'
        in conditions
    )


def test_account_wide_catalog_encryption_is_opt_in_and_never_the_stacks_own_key() -> None:
    assert _variable(ENV_DIR, "manage_catalog_encryption")["default"] is False
    assert _variable(MODULES_DIR / "catalog", "manage_catalog_encryption")["default"] is False
    (setting,) = resources("aws_glue_data_catalog_encryption_settings")
    text = json.dumps(setting.body)
    assert "var.kms_key_arn" not in text, "the platform key is deleted with the stack"
    assert text.count("var.glue_catalog_kms_key_arn") == 2
    (catalog,) = [
        m.body for m in blocks("module") if m.file.parent == ENV_DIR and m.name == "catalog"
    ]
    assert catalog["glue_catalog_kms_key_arn"] == "${var.glue_catalog_kms_key_arn}"


@pytest.mark.parametrize("module", ["batch", "serving"])
def test_roles_that_write_the_catalog_may_encrypt_with_its_key(module: str) -> None:
    """Athena creating a view, or Glue updating a table, in an encrypted catalog encrypts with the
    caller's rights on the catalog's key (the serving role lacked kms:Encrypt)."""
    main = parse(MODULES_DIR / module / "main.tf")
    documents = [d for d in main["data"] if "aws_iam_policy_document" in d]
    dynamic = [
        statement["statement"]
        for document in documents
        for body in document["aws_iam_policy_document"].values()
        for statement in body.get("dynamic", [])
        if "statement" in statement
    ]
    (grant,) = [d for d in dynamic if "glue_catalog_k" in str(d["for_each"])]
    (content,) = grant["content"]
    assert set(content["actions"]) == {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}
    (call,) = [m.body for m in blocks("module") if m.file.parent == ENV_DIR and m.name == module]
    assert call["glue_catalog_kms_key_arn"] == "${var.glue_catalog_kms_key_arn}"


def test_the_kcl_lease_table_deletion_protection_is_a_variable() -> None:
    (table,) = [t for t in resources("aws_dynamodb_table") if t.name == "kcl_leases"]
    assert table.body["deletion_protection_enabled"] == "${var.kcl_lease_table_deletion_protection}"
    (speed,) = [m.body for m in blocks("module") if m.file.parent == ENV_DIR and m.name == "speed"]
    assert speed["kcl_lease_table_deletion_protection"] == (
        "${var.kcl_lease_table_deletion_protection}"
    )
    assert _variable(ENV_DIR, "kcl_lease_table_deletion_protection")["default"] is True


# --- one name, one rule ------------------------------------------------------------------------

DIFFERENT_MEANINGS = {
    "name": (
        "the AWS name of a different thing, each with its own AWS rule: an ECS container, task "
        "family and service (ecs_service), an IAM role (iam_role), a Lambda function "
        "(lambda_function)"
    ),
}
"""Variable names that mean a different thing per module, with the reason; every other name has
one rule throughout the tree."""

MODULE_SPECIFIC = {
    ("modules/serving", "allowed_cidr_blocks"): (
        "at most 4 blocks: the dashboard's listener rule takes 5 condition values, one is the "
        "host name"
    ),
    ("modules/speed", "reserved_concurrency"): (
        "at least 2: it is also the SQS mapping's maximum concurrency, whose smallest value is 2"
    ),
    ("modules/batch", "environment"): (
        "SALESFLOW_* names only: the map becomes the Spark driver's environment beside the "
        "PYSPARK_* variables the module sets"
    ),
}
"""Declarations with one validation block of their own, for a constraint only that module has;
the block comes last, after the shared ones."""


def _declarations() -> dict[str, list[Block]]:
    declarations: dict[str, list[Block]] = defaultdict(list)
    for variable in blocks("variable"):
        declarations[variable.name].append(variable)
    return declarations


def _place(variable: Block) -> str:
    return str(variable.file.parent.relative_to(TERRAFORM_DIR))


def _rule(variable: Block) -> tuple[str, list[tuple[str, str]]]:
    """The variable's type and its shared validations (condition, error_message), in order."""
    validations = [
        (str(v["condition"]), str(v["error_message"])) for v in variable.body.get("validation", [])
    ]
    if (_place(variable), variable.name) in MODULE_SPECIFIC:
        validations = validations[:-1]
    return str(variable.body["type"]), validations


def test_a_variable_name_has_one_type_and_the_same_validations_wherever_it_is_declared() -> None:
    """Terraform cannot share a variable block between modules, so the rule is: a name declared in
    several modules, envs/prod or an example has the same type and the same validation blocks
    (condition and error message, in order) in each. A module with a narrower constraint of its
    own adds exactly one validation block after the shared ones and is listed in MODULE_SPECIFIC
    with the reason; that last block is left out of the comparison. Names that mean different
    things per module are listed in DIFFERENT_MEANINGS with the reason."""
    drifted = {}
    for name, declared in _declarations().items():
        if name in DIFFERENT_MEANINGS:
            continue
        rules = {_place(v): _rule(v) for v in declared}
        if len({repr(rule) for rule in rules.values()}) > 1:
            drifted[name] = rules
    assert not drifted, json.dumps(drifted, indent=1)


def test_the_listed_exceptions_are_declared_and_still_exceptions() -> None:
    declarations = _declarations()
    for name in DIFFERENT_MEANINGS:
        rules = [repr(_rule(v)) for v in declarations[name]]
        assert len(rules) > 1, name
        assert len(set(rules)) == len(rules), name
    for place, name in MODULE_SPECIFIC:
        places = [_place(v) for v in declarations[name]]
        assert place in places, (place, name)
        assert len(places) > 1, (place, name)


# --- the refusals, by Terraform itself --------------------------------------------------------

VALID = {
    "name_prefix": "acme-shop",
    "image_tag": "0.1.0",
    "vpc_id": "vpc-0123abcd",
    "public_subnet_ids": ["subnet-0a1", "subnet-0b2"],
    "private_subnet_ids": ["subnet-0c3", "subnet-0d4"],
    "allowed_cidr_blocks": ["0.0.0.0/0"],
    "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-test",
}


DASHBOARD = {
    "dashboard_host_name": "dashboard.acme.example",
    "dashboard_allowed_cidr_blocks": ["203.0.113.0/24"],
}
OIDC = {
    "issuer": "https://login.acme.example",
    "authorization_endpoint": "https://login.acme.example/authorize",
    "token_endpoint": "https://login.acme.example/oauth/token",
    "user_info_endpoint": "https://login.acme.example/userinfo",
    "client_id": "salesflow-dashboard",
}
COGNITO = {
    "user_pool_arn": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf",
    "user_pool_client_id": "1example23456789",
    "user_pool_domain": "acme-dashboard",
}


@pytest.fixture(scope="module")
def initialised_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not provider_available():
        pytest.skip(
            f"the AWS provider is not unpacked under {PLUGIN_DIR} and cannot be downloaded "
            "here; the python-hcl2 tests above still run"
        )
    root = copy_tree(tmp_path_factory.mktemp("validations"))
    initialised = init(root, _config(root))
    assert initialised.returncode == 0, initialised.stderr
    return root


def _config(root: Path) -> Path:
    return root.parents[3] / "terraformrc"


@pytest.mark.xdist_group("terraform")
@pytest.mark.parametrize(
    ("overrides", "refusal"),
    [
        ({"name_prefix": "acme-sales-sao-paulo-prod1"}, "name_prefix must be 2-24 characters"),
        ({"name_prefix": "acme-"}, "name_prefix must be 2-24 characters"),
        ({"dashboard_host_name": "dashboard.acme.example"}, "name at least one network"),
        ({"manage_catalog_encryption": True}, "needs glue_catalog_kms_key_arn"),
        ({"dashboard_login": {"cognito": COGNITO}}, "only dashboard_host_name deploys"),
        (DASHBOARD | {"dashboard_login": {"oidc": OIDC, "cognito": COGNITO}}, "exactly one of"),
        (
            DASHBOARD | {"dashboard_login": {"oidc": OIDC | {"token_endpoint": "http://idp/t"}}},
            "must be https:// URLs",
        ),
    ],
    ids=[
        "prefix-25-characters",
        "prefix-ends-with-hyphen",
        "dashboard-open",
        "catalog-key",
        "login-without-dashboard",
        "login-oidc-and-cognito",
        "login-over-http",
    ],
)
def test_terraform_refuses_it_before_calling_aws(
    initialised_root: Path, overrides: dict[str, Any], refusal: str, tmp_path: Path
) -> None:
    variables = tmp_path / "refused.tfvars.json"
    variables.write_text(json.dumps(VALID | overrides))
    result = run(
        ["plan", "-no-color", "-input=false", "-lock=false", f"-var-file={variables}"],
        cwd=initialised_root,
        cli_config=_config(initialised_root),
        timeout=180,
    )
    assert result.returncode != 0
    assert refusal in " ".join(result.stderr.replace("│", " ").split()), result.stderr[-3000:]
