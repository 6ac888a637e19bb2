from __future__ import annotations

import pytest
from pydantic import ValidationError

from contract.settings import Settings, hash_api_key


def test_api_keys_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SALESFLOW_API_KEYS", f"pos-sp:{hash_api_key('s3cret')},web:{'b' * 64}")
    settings = Settings()
    assert [key.source for key in settings.api_keys] == ["pos-sp", "web"]
    assert settings.api_keys[0].matches(hash_api_key("s3cret"))


def test_malformed_api_keys_say_how_to_fix_them(monkeypatch):
    monkeypatch.setenv("SALESFLOW_API_KEYS", "pos-sp:not-a-hash")
    with pytest.raises(ValidationError, match="name:sha256hex"):
        Settings()


def test_per_service_endpoint_overrides_the_default():
    settings = Settings(aws_endpoint_url="http://127.0.0.1:4566", s3_endpoint_url="http://s3:9000")
    assert settings.endpoint_url("kinesis") == "http://127.0.0.1:4566"
    assert settings.endpoint_url("s3") == "http://s3:9000"


def test_aws_environment_refuses_development_defaults():
    with pytest.raises(ValidationError, match="memory"):
        Settings(env="aws", sink="memory", api_keys=f"pos:{'a' * 64}")
    with pytest.raises(ValidationError, match="API_KEYS"):
        Settings(env="aws", sink="kinesis")


def test_unknown_time_zone_is_refused():
    with pytest.raises(ValidationError, match="IANA"):
        Settings(reporting_tz="Mars/Olympus")


def test_command_line_options_override_the_environment_only_when_given(monkeypatch):
    from contract.settings import settings_with

    monkeypatch.setenv("SALESFLOW_SERVE_PORT", "9090")
    assert settings_with(serve_port=None).serve_port == 9090
    assert settings_with(serve_port=7070).serve_port == 7070


@pytest.mark.parametrize("name", ["pos sp", "loja-são-paulo", "pos\tsp", "x" * 65, "pos;sp"])
def test_a_key_name_the_source_rule_refuses_is_refused_at_start_naming_the_entry(monkeypatch, name):
    """The name is stamped on every event as `source`: a name the contract refuses would have
    every event of the key acknowledged and then quarantined by the speed layer."""
    monkeypatch.setenv("SALESFLOW_API_KEYS", f"web:{'b' * 64},{name}:{'a' * 64}")
    with pytest.raises(ValidationError) as refused:
        Settings()
    message = str(refused.value)
    assert f"entry {name!r}" in message
    assert "identifier rule" in message
    assert "A-Z a-z 0-9 _ . : / -" in message


def test_key_names_accept_exactly_what_the_event_source_accepts():
    from pydantic import TypeAdapter

    from contract.event import Identifier

    source = TypeAdapter(Identifier)
    for name in ["pos-sp", "shop.example/web", "a", "x" * 64, "Loja_01"]:
        (key,) = Settings(api_keys=f"{name}:{'a' * 64}").api_keys
        assert source.validate_python(key.source) == name
