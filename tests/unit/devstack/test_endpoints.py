from __future__ import annotations

import pytest

from devstack.endpoints import NotReadyError, wait_until_ready
from devstack.local_servers import free_port


def test_waiting_stops_as_soon_as_the_process_is_dead():
    url = f"http://127.0.0.1:{free_port()}/healthz"
    with pytest.raises(NotReadyError, match="exited before answering"):
        wait_until_ready(url, timeout=60, alive=lambda: False, what="ingest API")


def test_waiting_gives_up_after_the_timeout():
    url = f"http://127.0.0.1:{free_port()}/healthz"
    with pytest.raises(NotReadyError, match="did not answer"):
        wait_until_ready(url, timeout=0.3, alive=lambda: True, what="serving", interval=0.05)
