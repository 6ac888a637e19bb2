"""The serving tasks answer only the dashboard's host name, the one the listener rule forwards:
`salesflow serve` binds 0.0.0.0 there, whose default allowed hosts no client sends."""

from __future__ import annotations

from tests.unit.infra.test_settings_flow import serving_environment


def test_the_serving_tasks_allow_the_host_name_the_listener_forwards() -> None:
    assert serving_environment()["SALESFLOW_ALLOWED_HOSTS"] == "serving module: var.host_name"
