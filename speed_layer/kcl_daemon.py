"""Runs the KCL MultiLangDaemon (Java) with `speed_layer.kcl_processor` as its record processor.

The daemon owns what the local poller does itself: leases and checkpoints in a DynamoDB table
(`applicationName`, plus KCL 3's `-CoordinatorState` and `-WorkerMetricStats` tables), balancing
shards between workers, and resharding (a child shard starts only once its parents reached
SHARD_END). It reads a Java properties file, not the environment, so this module writes one from
the settings and starts `java`; the record processors it spawns inherit this process's
environment, hence the same `SALESFLOW_*` settings.

Retrieval is polling (GetRecords): enhanced fan-out needs a registered consumer and SubscribeToShard
over HTTP/2 event streams, which buys latency this platform does not need. Against the local
emulator (`LocalEndpoints`) the daemon also keeps CloudWatch off, sends JSON instead of CBOR, and
uses short lease timings, so a second worker or a restart takes a shard over in seconds.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from contract.names import ResourceNames
from contract.settings import Settings

logger = logging.getLogger(__name__)

DAEMON_CLASS = "software.amazon.kinesis.multilang.MultiLangDaemon"
SHUTDOWN_GRACE_SECONDS = 20.0
"""How long a stopping daemon may take to checkpoint and hand its leases back; it is killed 10 s
after that."""


@dataclass(frozen=True)
class LocalEndpoints:
    """Where the daemon's clients reach the local emulator: Kinesis through the HTTP/2 bridge."""

    kinesis: str
    dynamodb: str


@dataclass(frozen=True)
class DaemonConfig:
    stream_name: str
    lease_table: str
    region: str
    executable: str
    worker_id: str
    local: LocalEndpoints | None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, local: LocalEndpoints | None, worker_id: str | None = None
    ) -> DaemonConfig:
        return cls(
            stream_name=settings.stream_name,
            lease_table=ResourceNames.for_prefix(settings.name_prefix).kcl_lease_table,
            region=settings.aws_region,
            executable=f"{sys.executable} -m speed_layer.kcl_processor",
            worker_id=worker_id or f"{socket.gethostname()}-{os.getpid()}",
            local=local,
        )

    def properties(self) -> str:
        """The daemon's properties file."""
        values: dict[str, str | int] = {
            "executableName": self.executable,
            "streamName": self.stream_name,
            "applicationName": self.lease_table,
            "workerId": self.worker_id,
            "regionName": self.region,
            "AWSCredentialsProvider": "DefaultCredentialsProvider",
            "processingLanguage": f"python/{sys.version_info.major}.{sys.version_info.minor}",
            "initialPositionInStream": "TRIM_HORIZON",
            "retrievalMode": "POLLING",
            # The daemon's own wait for its graceful shutdown (unset: none, and the leases and
            # the leader lock are left to expire instead of being handed back).
            "shutdownGraceMillis": int(SHUTDOWN_GRACE_SECONDS * 1000),
        }
        if self.local is not None:
            values.update(
                {
                    "kinesisEndpoint": self.local.kinesis,
                    "dynamoDBEndpoint": self.local.dynamodb,
                    "metricsLevel": "NONE",
                    "failoverTimeMillis": 3000,
                    "leaseAssignmentIntervalMillis": 1000,
                    "shardSyncIntervalMillis": 5000,
                    "parentShardPollIntervalMillis": 500,
                    "idleTimeBetweenReadsInMillis": 250,
                    # KCL 3's leader counts a worker as alive for two reports after its last:
                    # every 30 s by default, so for a minute it hands leases to a dead worker.
                    "workerMetricsReporterFreqInMillis": 1000,
                }
            )
        return "".join(f"{key} = {value}\n" for key, value in values.items())

    def java_options(self) -> list[str]:
        """JVM flags: a small heap and quick start-up locally, JSON where moto cannot read CBOR."""
        if self.local is None:
            return []
        return [
            "-Daws.cborEnabled=false",
            "-Xmx384m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
        ]


QUIET_LOGGERS = (
    "software.amazon.kinesis.multilang.MessageWriter",
    "software.amazon.kinesis.multilang.LineReaderTask",
    "software.amazon.kinesis.multilang.MultiLangProtocol",
    "software.amazon.kinesis.coordinator.assignment",
    "software.amazon.kinesis.leases.dynamodb.DynamoDBLeaseDiscoverer",
    "software.amazon.kinesis.leases.dynamodb.DynamoDBLeaseRefresher",
    "software.amazon.kinesis.leader.DynamoDBLockBasedLeaderDecider",
)
"""Loggers that write a line per message to a processor or per second at INFO (about 20 MB an
hour locally): warnings only. Lease changes still show in the coordinator's and scheduler's."""


def logback_config() -> str:
    """The daemon's logging: its usual console lines, the chattiest loggers at WARN."""
    quiet = "".join(f'  <logger name="{name}" level="WARN"/>\n' for name in QUIET_LOGGERS)
    return (
        "<configuration>\n"
        '  <appender name="console" class="ch.qos.logback.core.ConsoleAppender">\n'
        "    <encoder><pattern>%d [%thread] %-5level %logger{36} - %msg%n</pattern></encoder>\n"
        "  </appender>\n"
        f"{quiet}"
        '  <root level="INFO"><appender-ref ref="console"/></root>\n'
        "</configuration>\n"
    )


def daemon_command(
    java: Path, jars: Path, config: DaemonConfig, properties: Path, logback: Path
) -> list[str]:
    return [
        str(java),
        *config.java_options(),
        f"-Dlogback.configurationFile={logback}",
        "-cp",
        f"{jars}{os.sep}*",
        DAEMON_CLASS,
        "--properties-file",
        str(properties),
    ]


def run_daemon(command: list[str], env: dict[str, str], stop: threading.Event) -> int:
    """Run the daemon until it exits or `stop` is set; then SIGTERM (its graceful shutdown hands
    the leases back after each processor's `shutdownRequested` checkpoint) and, past the grace
    period, kill. Returns the daemon's exit code (0 after a requested stop)."""
    daemon = subprocess.Popen(command, env=env)
    logger.info("KCL MultiLangDaemon started (pid %d)", daemon.pid)
    while daemon.poll() is None and not stop.wait(0.5):
        pass
    if daemon.poll() is not None:
        logger.error("the KCL MultiLangDaemon exited by itself with code %d", daemon.returncode)
        return daemon.returncode or 1
    daemon.send_signal(signal.SIGTERM)
    try:
        daemon.wait(timeout=SHUTDOWN_GRACE_SECONDS + 10)
    except subprocess.TimeoutExpired:
        logger.warning("the KCL daemon did not stop in its grace period: killed")
        daemon.kill()
        daemon.wait()
    return 0
