"""`python -m tests.integration.speed_layer.crashing_consumer kinesis|sqs`

The real `salesflow speed` consumer, except that it SIGKILLs itself at the worst moment: after
its first batch's Parquet file is written, before the Kinesis checkpoint or the SQS delete.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import NoReturn

from salesflow.cli import main
from speed_layer.checkpoints import CheckpointFile
from speed_layer.sqs_poller import SqsPoller


def die(*args: object, **kwargs: object) -> NoReturn:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable: SIGKILL cannot be caught")


if __name__ == "__main__":
    source = sys.argv[1]
    if source == "kinesis":
        CheckpointFile.commit = die  # type: ignore[method-assign]
    else:
        SqsPoller._delete = die  # type: ignore[method-assign]
    sys.exit(main(["speed", "--source", source]))
