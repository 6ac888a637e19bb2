"""The development API key: made at first start, kept in `<state-dir>/api-key`.

Only used when no keys are configured and the environment is `local`; in AWS the settings refuse
to start without `SALESFLOW_API_KEYS`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from contract.settings import ApiKey, hash_api_key

LOCAL_SOURCE = "local"
KEY_FILE_NAME = "api-key"
KEY_PREFIX = "sf_local_"
"""Keys never start with `-` (a bare `token_urlsafe` does one time in 64, and a command line then
reads `--api-key -x...` as two options), and secret scanners can recognise a leaked one."""


def local_api_key(state_dir: Path) -> tuple[str, ApiKey, Path]:
    """The key (made and stored 0600 if absent), its configured form, and where it is stored."""
    path = state_dir / KEY_FILE_NAME
    if path.exists():
        key = path.read_text().strip()
    else:
        state_dir.mkdir(parents=True, exist_ok=True)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(key + "\n")
    return key, ApiKey(source=LOCAL_SOURCE, sha256=hash_api_key(key)), path
