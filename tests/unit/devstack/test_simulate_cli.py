from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator

import pytest

from devstack import simulate_cli


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    """`run` configures JSON logging on the root logger; put back what pytest had."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    simulate_cli.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_without_a_key_it_says_where_the_key_comes_from(tmp_path, capsys):
    assert simulate_cli.run(_args("--state-dir", str(tmp_path), "--duration", "1")) == 2
    errors = capsys.readouterr().err
    assert f"no API key at {tmp_path / 'api-key'}" in errors
    assert "salesflow up" in errors


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--rate", "0"], "rate must be > 0"), (["--batch-size", "501"], "batch size must be")],
)
def test_bad_options_are_refused_before_sending(argv, message, capsys):
    assert simulate_cli.run(_args("--api-key", "k", *argv)) == 2
    assert message in capsys.readouterr().err
