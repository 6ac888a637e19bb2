"""Kinesis checkpoints of the local poller: a JSON file in the state dir, replaced atomically.

Per shard it holds the last sequence number landed (`landed`) and, while a batch is being
landed, that batch's last sequence number (`pending_last`), written *before* the Parquet file.
After a crash between the file and the checkpoint, the restarted poller re-reads exactly the
range (landed, pending_last], so the batch gets the same key and overwrites its own file: no
duplicate event_id. An exclusive lock refuses a second poller on the same state dir (see docs/adr).
"""

from __future__ import annotations

import fcntl
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from contract.lake_io import replace_local_file
from speed_layer.errors import CheckpointLockedError


@dataclass(frozen=True)
class ShardCheckpoint:
    landed: str | None = None
    pending_last: str | None = None


class CheckpointFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock: IO[bytes] | None = None
        self._shards: dict[str, ShardCheckpoint] = {}

    @classmethod
    def for_stream(cls, state_dir: Path, stream_name: str) -> CheckpointFile:
        return cls(state_dir / "speed" / f"kinesis-{stream_name}.checkpoints.json")

    def __enter__(self) -> CheckpointFile:
        lock = (self.path.parent / f"{self.path.name}.lock").open("wb")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise CheckpointLockedError(
                f"another speed-layer poller holds {self.path}; stop it, or give this one its "
                "own SALESFLOW_STATE_DIR"
            ) from None
        self._lock = lock
        if self.path.exists():
            stored = json.loads(self.path.read_text())
            self._shards = {shard: ShardCheckpoint(**entry) for shard, entry in stored.items()}
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def get(self, shard_id: str) -> ShardCheckpoint:
        return self._shards.get(shard_id, ShardCheckpoint())

    def begin(self, shard_id: str, last_sequence: str) -> None:
        """Record the batch about to be landed; idempotent when replaying the same batch."""
        current = self.get(shard_id)
        if current.pending_last != last_sequence:
            self._save(shard_id, ShardCheckpoint(current.landed, last_sequence))

    def commit(self, shard_id: str, last_sequence: str) -> None:
        """The batch ending at `last_sequence` is landed (or dead-lettered): move past it."""
        self._save(shard_id, ShardCheckpoint(landed=last_sequence))

    def _save(self, shard_id: str, checkpoint: ShardCheckpoint) -> None:
        """Write the file, then remember the change: after a failed write (a full disk) the
        next `begin` of the same batch writes again instead of finding it already recorded."""
        shards = {**self._shards, shard_id: checkpoint}
        document = {shard: asdict(entry) for shard, entry in shards.items()}
        replace_local_file(self.path, json.dumps(document).encode())
        self._shards = shards
