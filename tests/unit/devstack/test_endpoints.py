from __future__ import annotations

import socket

import pytest

from devstack.endpoints import NotReadyError, PortInUseError, ensure_ports_free, wait_until_ready
from tests.processes import free_port


def test_a_taken_port_names_the_option_that_moves_the_component():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"127.0.0.1:{taken}.*--moto-port"):
            ensure_ports_free("127.0.0.1", [("AWS emulator", taken, "--moto-port")])


def test_free_ports_pass():
    ensure_ports_free("127.0.0.1", [("ingest API", free_port(), "--ingest-port")])


def test_waiting_stops_as_soon_as_the_process_is_dead():
    url = f"http://127.0.0.1:{free_port()}/healthz"
    with pytest.raises(NotReadyError, match="exited before answering"):
        wait_until_ready(url, timeout=60, alive=lambda: False, what="ingest API")


def test_waiting_gives_up_after_the_timeout():
    url = f"http://127.0.0.1:{free_port()}/healthz"
    with pytest.raises(NotReadyError, match="did not answer"):
        wait_until_ready(url, timeout=0.3, alive=lambda: True, what="serving", interval=0.05)
