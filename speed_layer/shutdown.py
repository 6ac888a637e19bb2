"""Clean shutdown: SIGTERM (ECS, systemd, `salesflow up`) and SIGINT (Ctrl-C) set a stop event.

The poller checks the event between polls, lands what it has buffered, checkpoints, and exits,
so a routine stop never forces a redelivery.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


def stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop
