from __future__ import annotations

import pytest

from speed_layer.checkpoints import CheckpointFile, CheckpointLockedError, ShardCheckpoint


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
        with pytest.raises(CheckpointLockedError, match="another speed-layer poller holds"):
            CheckpointFile.for_stream(tmp_path, "sales").__enter__()
        with CheckpointFile.for_stream(tmp_path, "other-stream"):
            pass
    with CheckpointFile.for_stream(tmp_path, "sales"):
        pass
