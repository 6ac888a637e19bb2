"""What the API tasks get to refuse hostile clients on AWS, read with python-hcl2: the serving
tasks answer only the dashboard's host name (the one its listener rule forwards; `salesflow
serve` binds 0.0.0.0 there, whose default allowed hosts no client sends), and the ingest tasks
rate-limit each key by a root variable."""

from __future__ import annotations

import re

from tests.unit.infra.terraform_tree import ENV_DIR, MODULES_DIR
from tests.unit.infra.test_settings_flow import _locals, _module_call, serving_environment


def test_the_serving_tasks_allow_the_host_name_the_listener_forwards() -> None:
    assert serving_environment()["SALESFLOW_ALLOWED_HOSTS"] == "serving module: var.host_name"


def test_the_ingest_tasks_rate_limit_each_key_as_the_root_variable_says() -> None:
    merged = _locals(MODULES_DIR / "ingest" / "main.tf")["environment"]
    assert re.search(
        r"SALESFLOW_RATE_LIMIT_EVENTS_PER_SECOND = tostring\(var\.rate_limit_events_per_second\)",
        merged,
    ), merged
    call = _module_call(ENV_DIR, "ingest")
    assert call["rate_limit_events_per_second"] == "${var.api_rate_limit_events_per_second}"
