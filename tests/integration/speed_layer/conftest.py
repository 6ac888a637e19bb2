from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from contract.settings import Settings
from speed_layer.cli import consume


@pytest.fixture(scope="session")
def pycache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bytecode cache shared by the child processes of one test session (one xdist worker)."""
    return tmp_path_factory.mktemp("child-pycache")


@pytest.fixture
def poller() -> Callable[..., object]:
    """Run the real poller loop (`speed_layer.cli.consume`) in a thread while the block runs."""

    @contextmanager
    def running(settings: Settings, source: str, lake_uri: str) -> Iterator[threading.Event]:
        stop = threading.Event()
        errors: list[BaseException] = []

        def target() -> None:
            try:
                consume(settings, source, lake_uri=lake_uri, stop=stop)
            except BaseException as error:
                errors.append(error)
                raise

        thread = threading.Thread(target=target, name=f"poller-{source}", daemon=True)
        thread.start()
        try:
            yield stop
        finally:
            stop.set()
            thread.join(timeout=30)
        assert not thread.is_alive(), "the poller did not stop within 30 s of the stop event"
        assert not errors, f"the poller failed: {errors[0]!r}"

    return running
