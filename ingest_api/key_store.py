"""Where the API's key set lives, changed by read-modify-write so no change loses another.

The key set is `SALESFLOW_API_KEYS`'s text: `name:sha256hex[:STORE|STORE],...`, hashes only. Two
stores hold it:

- `SecretKeyStore`: the deployment's Secrets Manager secret (`<prefix>/api-keys`), which the
  ingest tasks read at start. A change reads the current version, edits the set and puts a new
  version; if another writer put one in between (the new version's predecessor, AWSPREVIOUS, is
  not the one read), the change is applied again on top of theirs and put once more. Writing the
  whole string blindly, as a second `put-secret-value` does, would drop the first shop's key.
- `FileKeyStore`: `<state-dir>/api-keys` for the local stack, which `salesflow up` adds to the
  key its own simulator uses. Written atomically (a temporary file renamed over it).

Neither ever returns the hashes to a caller that prints: `KeySet.names()` is what is shown.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from contract.settings import ApiKey, parse_api_keys
from ingest_api.errors import IngestApiError

KEY_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
"""A key's name: the `source` its events are stamped with, so no `:`, `,` or white space."""
MAX_WRITE_ATTEMPTS = 5
LOCAL_KEYS_FILE = "api-keys"
"""`<state-dir>/api-keys`: the local stack's key set (the demo key lives beside it in `api-key`)."""


class KeyStoreError(IngestApiError):
    """A key change that cannot be made (a name taken or unknown, the last key, a lost race)."""


@dataclass(frozen=True)
class KeySet:
    keys: tuple[ApiKey, ...]

    @classmethod
    def parse(cls, text: str, where: str = "SALESFLOW_API_KEYS") -> KeySet:
        """The set `text` holds; a `KeyStoreError` naming `where` and the entry at fault if any
        entry breaks the format or the name rule, so a hand-edited set is refused when read,
        not by the speed layer quarantining every event of the key."""
        try:
            return cls(tuple(parse_api_keys(text)))
        except ValueError as error:
            raise KeyStoreError(
                f"{where} holds an invalid key set: {error}; correct that entry in {where} itself"
            ) from None

    def render(self) -> str:
        return ",".join(_entry(key) for key in self.keys)

    def names(self) -> list[tuple[str, frozenset[str] | None]]:
        """What may be shown: each key's name and stores, never its hash."""
        return [(key.source, key.stores) for key in self.keys]

    def with_key(self, key: ApiKey) -> KeySet:
        if any(existing.source == key.source for existing in self.keys):
            raise KeyStoreError(
                f"a key named {key.source!r} exists; to rotate it, add the new key under another "
                "name, move the client to it, then remove the old one"
            )
        return replace(self, keys=(*self.keys, key))

    def without(self, name: str) -> KeySet:
        kept = tuple(key for key in self.keys if key.source != name)
        if len(kept) == len(self.keys):
            raise KeyStoreError(f"no key named {name!r}")
        if not kept:
            raise KeyStoreError(
                f"{name!r} is the last key: the API refuses to start in AWS without one; add its "
                "replacement first"
            )
        return replace(self, keys=kept)


def _entry(key: ApiKey) -> str:
    stores = f":{'|'.join(sorted(key.stores))}" if key.stores else ""
    return f"{key.source}:{key.sha256}{stores}"


Change = Callable[[KeySet], KeySet]


class KeyStore(Protocol):
    where: str

    def read(self) -> KeySet: ...

    def change(self, change: Change) -> KeySet:
        """Apply `change` to the current set and store the result; returns it."""
        ...


class FileKeyStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def read(self) -> KeySet:
        try:
            return KeySet.parse(self.path.read_text(), self.where)
        except FileNotFoundError:
            return KeySet(())

    def change(self, change: Change) -> KeySet:
        """Apply `change` and replace the file atomically, owner-only (0600) before it appears
        under its name, which `contract.lake_io.replace_local_file` cannot promise."""
        updated = change(self.read())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        temporary.write_text(updated.render() + "\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)
        return updated


class SecretKeyStore:
    def __init__(self, client: Any, secret_id: str) -> None:
        self._client = client
        self._secret_id = secret_id
        self.where = f"Secrets Manager secret {secret_id}"

    def read(self) -> KeySet:
        return self._current()[0]

    def change(self, change: Change) -> KeySet:
        base, base_version = self._current()
        ours: set[str] = set()
        for _ in range(MAX_WRITE_ATTEMPTS):
            updated = change(base)
            written = self._client.put_secret_value(
                SecretId=self._secret_id,
                SecretString=updated.render(),
                ClientRequestToken=str(uuid.uuid4()),
            )["VersionId"]
            ours.add(written)
            predecessor = self._predecessor(written)
            if predecessor == base_version or predecessor in ours:
                return updated
            # Another writer's version came between the read and this write, which replaced it:
            # apply the change again on top of theirs.
            base, base_version = self._version(predecessor), predecessor
        raise KeyStoreError(
            f"{self._secret_id} kept changing under this command ({MAX_WRITE_ATTEMPTS} tries); "
            "list the keys and try again"
        )

    def _version(self, version: str | None) -> KeySet:
        value = self._client.get_secret_value(SecretId=self._secret_id, VersionId=version)
        return KeySet.parse(value.get("SecretString", ""), self.where)

    def _current(self) -> tuple[KeySet, str | None]:
        try:
            value = self._client.get_secret_value(SecretId=self._secret_id)
        except self._client.exceptions.ResourceNotFoundException:
            return KeySet(()), None
        return KeySet.parse(value.get("SecretString", ""), self.where), value["VersionId"]

    def _predecessor(self, version: str) -> str | None:
        """The version that was current just before `version` became it (AWSPREVIOUS)."""
        stages = self._client.describe_secret(SecretId=self._secret_id)["VersionIdsToStages"]
        previous = [v for v, labels in stages.items() if "AWSPREVIOUS" in labels and v != version]
        return previous[0] if previous else None
