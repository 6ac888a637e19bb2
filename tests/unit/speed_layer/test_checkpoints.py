from __future__ import annotations

import pytest

from speed_layer.checkpoints import CheckpointFile, ShardCheckpoint
from speed_layer.errors import CheckpointLockedError


def test_checkpoints_are_write_ahead_and_survive_a_restart(tmp_path):
    with CheckpointFile.for_stream(tmp_path, "sales") as checkpoints:
        checkpoints.begin("shardId-000000000000", "17")
    with CheckpointFile.for_stream(tmp_path, "sales") as checkpoints:
        assert checkpoints.get("shardId-000000000000") == ShardCheckpoint(None, "17")
        checkpoints.commit("shardId-000000000000", "17")
        checkpoints.begin("shardId-000000000001", "3")
    with CheckpointFile.for_stream(tmp_path, "sales") as checkpoints:
        assert checkpoints.get("shardId-000000000000") == ShardCheckpoint("17", None)
        assert checkpoints.get("shardId-000000000001") == ShardCheckpoint(None, "3")
        assert checkpoints.get("shardId-000000000002") == ShardCheckpoint()
    assert [p.name for p in (tmp_path / "speed").iterdir() if p.name.startswith(".")] == []


def test_a_second_poller_on_the_same_state_dir_is_refused(tmp_path):
    with CheckpointFile.for_stream(tmp_path, "sales"):
        with pytest.raises(CheckpointLockedError, match="own SALESFLOW_STATE_DIR"):
            CheckpointFile.for_stream(tmp_path, "sales").__enter__()
        with CheckpointFile.for_stream(tmp_path, "other-stream"):
            pass
    with CheckpointFile.for_stream(tmp_path, "sales"):
        pass


def test_a_new_batch_keeps_the_last_landed_one_until_it_lands_itself(tmp_path):
    """A crash after `begin` restarts from the last landed batch, never from the stream's start."""
    state_dir = tmp_path / "a" / "state" / "dir"
    with CheckpointFile.for_stream(state_dir, "sales") as checkpoints:
        checkpoints.commit("shardId-000000000000", "17")
        checkpoints.begin("shardId-000000000000", "25")
    with CheckpointFile.for_stream(state_dir, "sales") as checkpoints:
        assert checkpoints.get("shardId-000000000000") == ShardCheckpoint("17", "25")


def test_a_checkpoint_that_could_not_be_written_is_written_by_the_next_attempt(
    tmp_path, monkeypatch
):
    """A full disk fails the write-ahead step: the retry must write it, not find it recorded."""

    def full_disk(path, data):
        raise OSError(28, "No space left on device")

    with CheckpointFile.for_stream(tmp_path, "s") as checkpoints:
        checkpoints.commit("shard-1", "10")
        monkeypatch.setattr("speed_layer.checkpoints.replace_local_file", full_disk)
        with pytest.raises(OSError, match="No space"):
            checkpoints.begin("shard-1", "20")
        assert checkpoints.get("shard-1") == ShardCheckpoint(landed="10")
        monkeypatch.undo()
        checkpoints.begin("shard-1", "20")

    with CheckpointFile.for_stream(tmp_path, "s") as restarted:
        assert restarted.get("shard-1") == ShardCheckpoint(landed="10", pending_last="20")
