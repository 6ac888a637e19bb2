"""The local stack's state folder (`.salesflow/` by default) and where each thing lives in it.

Everything `salesflow up` keeps between runs is under one folder, so deleting it is a full reset
and keeping it keeps the lake, the API key and the AWS emulator's resources' names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StateDir:
    root: Path

    @property
    def api_key_file(self) -> Path:
        return self.root / "api-key"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def simulator_ledger(self) -> Path:
        return self.root / "simulator-ledger.json"

    @property
    def backfill_ledger(self) -> Path:
        return self.root / "backfill-ledger.json"

    def log_file(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    def read_api_key(self) -> str:
        try:
            return self.api_key_file.read_text().strip()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no API key at {self.api_key_file}: start the stack with `salesflow up` (it "
                "creates one) or pass --api-key"
            ) from None
