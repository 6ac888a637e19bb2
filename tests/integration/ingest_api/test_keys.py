"""`salesflow keys` against the deployment's secret on the moto server and the local stack's file:
a second shop's key never deletes the first's, no hash is ever printed, and the ingest API built
from the stored set accepts exactly the keys it holds."""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contract.aws import aws_client
from contract.names import ResourceNames
from contract.settings import ApiKey, Settings, hash_api_key
from ingest_api.app import create_app
from ingest_api.key_store import KeySet, SecretKeyStore
from ingest_api.sinks import MemorySink
from salesflow.cli import main

HASH = re.compile(r"\b[0-9a-f]{64}\b")


@pytest.fixture
def environment(moto_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The secret as Terraform creates it (no value yet), and the settings in the environment."""
    secret = ResourceNames.for_prefix(moto_settings.name_prefix).api_keys_secret
    aws_client(moto_settings, "secretsmanager").create_secret(Name=secret)
    for name, value in {
        "SALESFLOW_AWS_ENDPOINT_URL": moto_settings.aws_endpoint_url or "",
        "SALESFLOW_NAME_PREFIX": moto_settings.name_prefix,
        "SALESFLOW_STATE_DIR": str(moto_settings.state_dir),
    }.items():
        monkeypatch.setenv(name, value)
    return moto_settings


def secret_value(settings: Settings) -> str:
    secret = ResourceNames.for_prefix(settings.name_prefix).api_keys_secret
    client = aws_client(settings, "secretsmanager")
    return str(client.get_secret_value(SecretId=secret)["SecretString"])


def added_key(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    assert main(["keys", *arguments]) == 0
    output = capsys.readouterr().out.splitlines()
    return output[output.index(next(o for o in output if "shown this once" in o)) + 1]


def status_for(keys: str, key: str, payload: dict[str, Any]) -> int:
    app = create_app(Settings(sink="memory", api_keys=keys), MemorySink())
    with TestClient(app, headers={"X-API-Key": key}) as client:
        return int(client.post("/v1/sales", json=payload).status_code)


@pytest.fixture
def sale(make_event: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_event(occurred_at=(datetime.now(UTC) - timedelta(minutes=1)).isoformat())


def test_keys_are_added_listed_and_removed_in_the_secret_without_losing_one(
    environment: Settings, capsys: pytest.CaptureFixture[str], sale: dict[str, Any]
) -> None:
    first = added_key(capsys, "--secret", "add", "shop-paulista")
    second = added_key(capsys, "--secret", "add", "shop-centro", "--stores", "SP-01|SP-02")
    stored = secret_value(environment)
    assert {key.source for key in KeySet.parse(stored).keys} == {"shop-paulista", "shop-centro"}
    assert hash_api_key(first) in stored
    assert first not in stored

    assert main(["keys", "--secret", "list"]) == 0
    listed = capsys.readouterr().out
    assert "shop-paulista\t(every store)" in listed
    assert "shop-centro\tSP-01|SP-02" in listed
    assert not HASH.search(listed)

    assert status_for(stored, first, sale) == 202
    assert status_for(stored, second, sale | {"store_id": "SP-01"}) == 202
    assert status_for(stored, second, sale) == 403
    assert status_for(stored, "sf_not-a-key", sale) == 401

    assert main(["keys", "--secret", "add", "shop-paulista"]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["keys", "--secret", "remove", "shop-paulista"]) == 0
    capsys.readouterr()
    stored = secret_value(environment)
    assert status_for(stored, first, sale) == 401
    assert status_for(stored, second, sale | {"store_id": "SP-02"}) == 202
    assert main(["keys", "--secret", "remove", "shop-centro"]) == 1
    assert "last key" in capsys.readouterr().err


def test_a_change_made_meanwhile_by_another_writer_is_kept(environment: Settings) -> None:
    client = aws_client(environment, "secretsmanager")
    secret = ResourceNames.for_prefix(environment.name_prefix).api_keys_secret
    other = ApiKey("other-writer", hash_api_key("theirs"))

    class Interleaved:
        """The secrets client, with another writer's put landing between our read and write."""

        exceptions = client.exceptions

        def __init__(self) -> None:
            self.armed = False
            self.raced = False

        def __getattr__(self, name: str) -> Any:
            return getattr(client, name)

        def put_secret_value(self, **request: Any) -> Any:
            if self.armed and not self.raced:
                self.raced = True
                theirs = KeySet((seed, other)).render()
                client.put_secret_value(SecretId=secret, SecretString=theirs)
            return client.put_secret_value(**request)

    seed = ApiKey("seed", hash_api_key("seed"))
    racing = Interleaved()
    store = SecretKeyStore(racing, secret)
    store.change(lambda keys: keys.with_key(seed))
    racing.armed = True
    store.change(lambda keys: keys.with_key(ApiKey("mine", hash_api_key("mine"))))
    assert racing.raced
    assert {key.source for key in store.read().keys} == {"seed", "other-writer", "mine"}


def test_the_local_stack_keeps_its_keys_in_the_state_folder(
    environment: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    key = added_key(capsys, "add", "till-7")
    stored = Path(environment.state_dir) / "api-keys"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert [k.source for k in KeySet.parse(stored.read_text()).keys] == ["till-7"]
    assert hash_api_key(key) in stored.read_text()
    assert main(["keys", "list"]) == 0
    assert capsys.readouterr().out.startswith("till-7\t(every store)")


def test_a_secret_holding_a_key_name_the_source_rule_refuses_is_refused_when_read(
    environment: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """A set put into the secret by hand (`aws secretsmanager put-secret-value`) is checked as
    strictly as SALESFLOW_API_KEYS: the CLI names the secret and the entry, and an ingest API
    started from that value refuses to start, instead of quarantining the key's events."""
    client = aws_client(environment, "secretsmanager")
    secret = ResourceNames.for_prefix(environment.name_prefix).api_keys_secret
    value = f"shop-centro:{hash_api_key('a')},shop paulista:{hash_api_key('b')}"
    client.put_secret_value(SecretId=secret, SecretString=value)

    assert main(["keys", "--secret", "list"]) == 1
    refused = capsys.readouterr().err
    assert f"Secrets Manager secret {secret}" in refused
    assert "'shop paulista'" in refused
    assert "identifier rule" in refused
    assert main(["keys", "--secret", "add", "shop-norte"]) == 1
    assert "'shop paulista'" in capsys.readouterr().err
    assert secret_value(environment) == value
    with pytest.raises(ValueError, match="'shop paulista'"):
        Settings(env="aws", api_keys=secret_value(environment))
