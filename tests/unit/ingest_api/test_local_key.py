import argparse
import stat

from contract.settings import hash_api_key
from ingest_api.local_key import LOCAL_SOURCE, local_api_key


def test_a_new_key_is_stored_private_and_read_back_on_the_next_start(tmp_path):
    key, configured, path = local_api_key(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert configured.source == LOCAL_SOURCE
    assert configured.matches(hash_api_key(key))
    assert local_api_key(tmp_path)[0] == key


def test_generated_keys_can_follow_an_option_on_a_command_line(tmp_path):
    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument("--api-key")
    for attempt in range(200):
        key, _, _ = local_api_key(tmp_path / str(attempt))
        assert not key.startswith("-")
        assert parser.parse_args(["--api-key", key]).api_key == key
