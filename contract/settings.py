"""All runtime settings, from `SALESFLOW_*` environment variables.

One class for the whole platform, grouped by layer. Resource names default to the ones derived
from `name_prefix` (see `contract.names`), which are also Terraform's outputs. Every AWS service
has its own endpoint URL override so the same code talks to AWS or to a moto server.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from contract.business_day import BusinessDay, Calendar, known_time_zone
from contract.event import ATTRIBUTE_KEY_PATTERN
from contract.names import DEFAULT_NAME_PREFIX, NAME_PREFIX_PATTERN, ResourceNames

AwsService = Literal["kinesis", "sqs", "s3", "dynamodb", "athena", "glue", "secretsmanager"]
SinkKind = Literal["memory", "kinesis", "sqs"]


@dataclass(frozen=True)
class ApiKey:
    """A configured API key: the source name events are stamped with, the key's SHA-256, and
    the stores it may send events and reconciliation reports for (None: every store)."""

    source: str
    sha256: str
    stores: frozenset[str] | None = None

    def matches(self, presented_sha256: str) -> bool:
        return hmac.compare_digest(self.sha256, presented_sha256)

    def allows(self, store_id: str) -> bool:
        return self.stores is None or store_id in self.stores


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:/-]{1,64}$")
"""The contract's identifier rule (`contract.event.Identifier`): a store id, and the `source` an
API key's name is stamped on its events as, so a name the rule refuses would have every event of
its key quarantined by the speed layer."""
STORE_ID = IDENTIFIER
IDENTIFIER_RULE = "1-64 of A-Z a-z 0-9 _ . : / -, no spaces"


def parse_api_keys(value: str) -> list[ApiKey]:
    """Parse `name:sha256hex[:STORE|STORE...],...`: a key with stores may only send for them."""
    keys = []
    for entry in filter(None, (part.strip() for part in value.split(","))):
        source, _, rest = entry.partition(":")
        digest, _, store_list = rest.partition(":")
        digest = digest.strip().lower()
        if not source or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(
                f"SALESFLOW_API_KEYS entry {source or entry!r} must be name:sha256hex or "
                'name:sha256hex:STORE|STORE; hash a key with: python -c "import hashlib,sys; '
                'print(hashlib.sha256(sys.argv[1].encode()).hexdigest())" KEY'
            )
        source = source.strip()
        if not IDENTIFIER.match(source):
            raise ValueError(
                f"SALESFLOW_API_KEYS entry {source!r}: a key's name is the `source` stamped on its "
                f"events and must follow the contract's identifier rule ({IDENTIFIER_RULE}); "
                "rename the key, e.g. pos-sp-01"
            )
        stores = None
        if store_list:
            names = [name.strip() for name in store_list.split("|")]
            bad = [name for name in names if not STORE_ID.match(name)]
            if bad:
                raise ValueError(
                    f"SALESFLOW_API_KEYS entry {source!r}: {bad[0]!r} is not a store id "
                    f"({IDENTIFIER_RULE}); separate stores with |"
                )
            stores = frozenset(names)
        keys.append(ApiKey(source=source, sha256=digest, stores=stores))
    return keys


ATTRIBUTE_KEY = re.compile(ATTRIBUTE_KEY_PATTERN)
ALLOWED_HOST = re.compile(r"^(\*|(\*\.)?[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]+\])$")
"""A `SALESFLOW_ALLOWED_HOSTS` entry: a name or IP, `*.domain` (Starlette's one wildcard), `*`."""
AWS_RATE_LIMIT_EVENTS_PER_SECOND = 1000.0
"""Each key's default rate on AWS: far above a store's tills or a web shop's checkout, so it
only stops a runaway or hostile client before it spends the stream's shards for everyone."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SALESFLOW_", extra="ignore", frozen=True)

    # --- deployment -------------------------------------------------------------------------
    env: Literal["local", "aws"] = "local"
    """`aws` refuses the development conveniences (memory sink, no API keys)."""
    name_prefix: str = Field(DEFAULT_NAME_PREFIX, pattern=NAME_PREFIX_PATTERN)
    state_dir: Path = Path(".salesflow")
    reporting_tz: str = "America/Sao_Paulo"
    """The zone of every report's clock: range bounds, hour labels, and the business day of
    stores without their own `time_zone` (or of every store, under `business_day=reporting`)."""
    business_day: BusinessDay = BusinessDay.REPORTING
    """`store`: a sale's `sale_date` and calendar columns follow its store's time zone
    (`contract.business_day`); one setting for the batch, the real-time view and reconciliation."""
    opentelemetry: bool = False
    """FastAPI's OpenTelemetry traces, metrics and logs for both APIs, sent to the providers the
    process configures (e.g. under `opentelemetry-instrument`). Off: it costs CPU per request."""

    # --- AWS access -------------------------------------------------------------------------
    aws_region: str = "us-east-1"
    aws_endpoint_url: str | None = None
    """Default endpoint for every service (a moto server, LocalStack); per-service ones win."""
    kinesis_endpoint_url: str | None = None
    sqs_endpoint_url: str | None = None
    s3_endpoint_url: str | None = None
    dynamodb_endpoint_url: str | None = None
    athena_endpoint_url: str | None = None
    glue_endpoint_url: str | None = None
    secretsmanager_endpoint_url: str | None = None

    # --- resource names (default: derived from name_prefix, as Terraform names them) ---------
    stream_name: str = ""
    queue_name: str = ""
    dead_letter_queue_name: str = ""
    """The SQS queue's dead letters: messages delivered `max_receive_count` times."""
    kinesis_dead_letter_queue_name: str = ""
    """Kinesis batches past their retries: the Lambda mapping's pointers, the pollers' records."""
    csv_dead_letter_queue_name: str = ""
    """S3 events of landed CSV exports whose load kept failing."""
    lake_bucket: str = ""
    athena_results_bucket: str = ""
    glue_database: str = ""
    athena_workgroup: str = ""
    checkpoint_table: str = ""
    customer_profiles_table: str = ""
    lake_uri: str = ".salesflow/lake"
    """A local folder or s3://bucket/prefix."""
    batch_full_every_days: int = Field(7, ge=0, le=366)
    """A run rebuilds every day from bronze when the state's last full rebuild is this many days
    older than its T (0: only when asked, `salesflow batch run --full`), so any drift between the
    incremental state and the inputs heals by design (ADR 0018)."""
    gold_runs_kept: int = Field(7, ge=2, le=400)
    """Complete run folders the nightly job keeps besides the published one (rollback targets)."""

    # --- ingest API -------------------------------------------------------------------------
    api_keys: Annotated[list[ApiKey], NoDecode] = Field(default_factory=list)
    sink: SinkKind = "kinesis"
    ingest_host: str = "127.0.0.1"
    ingest_port: int = 8000
    max_batch_events: int = Field(500, ge=1, le=500)
    max_body_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    publish_linger_ms: float = Field(5.0, ge=0, le=1000)
    publish_budget_seconds: float = Field(3.0, gt=0, le=60)
    """How long a request may wait for the stream to acknowledge before it is answered 503."""
    kinesis_aggregation: bool = True
    """Pack the events of each PutRecords call into KPL aggregated records (several events per
    record, which on-demand Kinesis bills by the KB rounded up); off: one record per event. Every
    consumer reads both (`ingest_api.sinks.kinesis_aggregation`)."""
    kinesis_compression: bool = True
    """Put each Kinesis record gzip-compressed (`contract.stream_compression`): fewer bytes
    billed into and out of the stream (docs/cost.md has the measured figures). Every consumer of
    ours reads both kinds; a consumer that is not ours (Firehose, another KCL application) would
    have to inflate the records first: turn it off for one."""
    log_sample_rate: float = Field(1.0, ge=0, le=1)
    """Share of the per-request info lines (refused requests) that are logged; the metrics count
    every request whatever the rate (`contract.structured_logging`)."""
    retry_after_seconds: int = Field(1, ge=1, le=3600)
    readiness_check_seconds: float = Field(5.0, gt=0, le=300)
    """How often a background task probes the stream or queue for `/readyz`, which answers from
    the last result: readiness calls, however many, never compete with event writes."""
    segment_store_id_property: str = Field("store_id", pattern=r"^[A-Za-z0-9_.$-]{1,64}$")
    """The Segment/RudderStack `properties` key holding the store id (else the write key's name)."""
    max_event_age_days: int = Field(400, ge=1, le=36_600)
    """The oldest `occurred_at` the API takes, in days before it receives the event (422 beyond,
    on `/v1/sales`, its batch and the Segment routes). A sale that old sent live is a broken
    clock or a replay; history is loaded with `salesflow load-csv`, which this does not limit."""
    rate_limit_events_per_second: float | None = Field(None, ge=0, le=1_000_000)
    """Events per second each API key may send on average (a token bucket per key, a batch
    costs its number of events); beyond it requests are answered 429 with `Retry-After`. 0 turns
    the limit off; unset: off locally, `AWS_RATE_LIMIT_EVENTS_PER_SECOND` with `env=aws`."""
    rate_limit_burst: int | None = Field(None, ge=1, le=10_000_000)
    """Events a key may send at once above its rate; unset: the larger of one full batch
    (`max_batch_events`) and one second at the rate."""

    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    """Host headers `salesflow api` and `salesflow serve` answer (400 for others): names, IPs or
    `*.example.com`, `*` for any. Unset: `localhost`, `127.0.0.1` and the host the server binds
    locally, any on AWS (`trusted_hosts`). A web page the user's browser opens cannot then reach
    the local APIs under a name of its own (DNS rebinding). `/healthz` answers any Host, as load
    balancers probe it by the target's IP."""
    proxied_internal_routes: bool = False
    """Answer `/metrics`, `/readyz`, `/docs` and `/openapi.json` to requests a proxy forwarded
    (they carry `X-Forwarded-For` or `Forwarded`). Off: 404, as the load balancer's listener
    rules answer them, but after the path is decoded (`contract.internal_routes`)."""

    # --- speed layer ------------------------------------------------------------------------
    speed_batch_size: int = Field(500, ge=1, le=10_000)
    speed_batching_window_seconds: float = Field(0.5, ge=0, le=300)
    speed_max_attempts: int = Field(3, ge=1, le=100)

    # --- batch layer ------------------------------------------------------------------------
    batch_cutoff_lag_seconds: float = Field(300.0, ge=0, le=86_400)
    """How far a run's default cutoff T lies before its start. An event acknowledged just before
    T may still be on its way through the stream; landing it after the job read bronze would put
    it in neither gold (not read) nor the real-time view (ingested before T). The lag must exceed
    the speed layer's worst landing delay (p99 under a second locally, minutes with a backlog)."""
    publish_catalog: Literal["none", "athena"] = "none"
    """`athena`: after publishing, the batch job moves the Glue tables and Athena views to the new
    run itself (docs/adr/0008), so Athena users see it with no serving instance running."""
    csv_landing_prefix: str = Field(
        "landing/csv/", pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/$"
    )
    """Key prefix of the lake bucket where a new CSV export starts the CSV Lambda (Terraform's
    `landing_prefix`). An export right under it is in the contract's CSV format; one under
    `<prefix><name>/` is read with the mapping `config/mappings/<name>.toml` in the lake."""
    csv_lambda_max_bytes: int = Field(256 * 1024 * 1024, ge=1)
    """Largest landed CSV export the Lambda loads itself; a larger one is handed to the nightly
    job (`bronze/csv_pending/`), which streams it with the same loader before reading its inputs.
    The loader's memory and /tmp use do not grow with the file, so the limit is time: the
    Lambda reads the object twice and converts it at the rate `python -m bench.history_load`
    measures; docs/batch_layer.md derives the default from Terraform's 300 s timeout."""

    # --- reconciliation ---------------------------------------------------------------------
    reconciliation_grace_hours: float = Field(6.0, ge=0, le=24 * 14)
    """How long after its business day ends a store-day may stay unmatched (a gap, or no report)
    before it counts as overdue: the metric and the alarm count only overdue store-days."""
    reconciliation_check_seconds: float = Field(300.0, ge=0, le=86_400)
    """How often each serving process re-checks the recent days' reports (0: never; the API
    still checks on request): the check records changes and updates the overdue count."""
    reconciliation_lookback_days: int = Field(7, ge=1, le=92)
    """How many business days back the periodic check looks, today included."""

    # --- serving ----------------------------------------------------------------------------
    serve_host: str = "127.0.0.1"
    serve_port: int = 8080
    serving_engine: Literal["duckdb", "athena"] = "duckdb"
    serving_database: str = ""
    """A file the DuckDB engine keeps its tables in, compressed (about a quarter of their size in
    memory: `bench.realtime`), with DuckDB caching what it reads; removed when the engine starts
    and closes, as it is only the engine's working copy. Empty: every table in memory (the local
    default). The Terraform root sets a file in the serving task's /tmp (docs/adr/0024)."""
    serving_memory_limit: str = Field("", pattern=r"^$|^\d+(\.\d+)?\s*(MB|GB|MiB|GiB)$")
    """DuckDB's memory limit (`3GB`, `2500MiB`): with `serving_database` what it caches beyond
    this is read back from the file. Empty: DuckDB's default, 80% of the memory it sees."""
    query_attributes: Annotated[tuple[str, ...], NoDecode] = ()
    """Custom event attributes (contract v1.1) the query API groups and filters by, e.g.
    `loyalty_tier,marketplace`; undeclared attributes are stored but not queryable."""
    serving_cache_seconds: float = Field(3.0, ge=0, le=3600)
    serving_refresh_seconds: float = Field(0.5, ge=0, le=300)
    serving_query_timeout_seconds: float = Field(60.0, gt=0, le=1800)
    """How long an Athena query may run before the serving layer cancels it and answers 504."""
    realtime_dedup_days: int = Field(0, ge=0, le=3660)
    """How far back the real-time view looks in gold for an earlier copy of an event received
    after T: 0, every gold day (exact); N, gold's business days from T's date minus N days, so
    that Athena reads N days of gold's event ids per query instead of all history. A copy of an
    event gold counts on an older day then counts twice until the next batch run
    (docs/adr/0022; the Terraform root sets 3)."""
    serving_max_range_days: int = Field(1830, ge=1, le=36_600)
    """The longest `from`-`to` range the query API answers (422 beyond): a bound on what one
    request scans (Athena bills by data read); a comparison scans its own range on top."""
    display_locale: str | None = Field(None, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    """BCP 47 locale the dashboard formats money, numbers and dates with (`pt-BR`, `en-US`);
    by default the most used language of the reporting time zone's country."""
    customer_profile_store: Literal["none", "dynamodb"] = "none"
    """`dynamodb`: the batch job loads each published run's customer profiles into the
    `customer_profiles_table` and the API looks profiles up there (docs/adr/0013); `none`: the
    API reads them from gold through its query engine. Terraform and `salesflow up` (on its
    emulator) set `dynamodb`."""

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_api_keys(cls, value: object) -> object:
        return parse_api_keys(value) if isinstance(value, str) else value

    @field_validator("query_attributes", mode="before")
    @classmethod
    def _parse_query_attributes(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(key.strip() for key in value.split(",") if key.strip())
        if isinstance(value, (tuple, list)):
            for key in value:
                if not isinstance(key, str) or not ATTRIBUTE_KEY.match(key):
                    raise ValueError(
                        f"query attribute {key!r} is not an attribute key "
                        "(lower-case letters, digits and _, starting with a letter, at most 40)"
                    )
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _parse_allowed_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(host.strip().lower() for host in value.split(",") if host.strip())
        if isinstance(value, (tuple, list)):
            for host in value:
                if not isinstance(host, str) or not ALLOWED_HOST.match(host):
                    raise ValueError(
                        f"SALESFLOW_ALLOWED_HOSTS entry {host!r} is not a host name, an IP "
                        "address, `*.domain` or `*`; separate entries with commas, without ports"
                    )
        return value

    @field_validator("reporting_tz")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        return known_time_zone(value)

    @model_validator(mode="after")
    def _derive_names_and_refuse_unsafe(self) -> Self:
        names = ResourceNames.for_prefix(self.name_prefix)
        defaults = {
            "stream_name": names.stream,
            "queue_name": names.queue,
            "dead_letter_queue_name": names.dead_letter_queue,
            "kinesis_dead_letter_queue_name": names.kinesis_dead_letter_queue,
            "csv_dead_letter_queue_name": names.csv_dead_letter_queue,
            "lake_bucket": names.lake_bucket,
            "athena_results_bucket": names.athena_results_bucket,
            "glue_database": names.glue_database,
            "athena_workgroup": names.athena_workgroup,
            "checkpoint_table": names.checkpoint_table,
            "customer_profiles_table": names.customer_profiles_table,
        }
        for field, default in defaults.items():
            if not getattr(self, field):
                object.__setattr__(self, field, default)
        if self.env == "aws":
            if self.sink == "memory":
                raise ValueError(
                    "SALESFLOW_SINK=memory loses events on restart; use kinesis or sqs"
                )
            if not self.api_keys:
                raise ValueError("SALESFLOW_API_KEYS is empty: the API would accept no client")
        return self

    @model_validator(mode="after")
    def _rate_limit_defaults(self) -> Self:
        rate = self.rate_limit_events_per_second
        if rate is None:
            rate = AWS_RATE_LIMIT_EVENTS_PER_SECOND if self.env == "aws" else 0.0
            object.__setattr__(self, "rate_limit_events_per_second", rate)
        if self.rate_limit_burst is None:
            burst = max(self.max_batch_events, math.ceil(rate))
            object.__setattr__(self, "rate_limit_burst", burst)
        return self

    @property
    def reporting_zone(self) -> ZoneInfo:
        return ZoneInfo(self.reporting_tz)

    @property
    def calendar(self) -> Calendar:
        return Calendar(self.reporting_zone, self.business_day)

    def trusted_hosts(self, bind_host: str) -> tuple[str, ...]:
        """The Host headers a server bound to `bind_host` answers: `allowed_hosts`, or by default
        the loopback names and `bind_host` itself. With `env=aws` the default is any: the tasks
        sit behind the load balancer, which picks what reaches them (the serving listener rule
        forwards only the dashboard's host name), and a browser on the user's machine cannot
        reach them by DNS rebinding as it can a local server."""
        if self.allowed_hosts:
            return self.allowed_hosts
        if self.env == "aws":
            return ("*",)
        return tuple(dict.fromkeys(("localhost", "127.0.0.1", bind_host.lower())))

    def endpoint_url(self, service: AwsService) -> str | None:
        specific: str | None = getattr(self, f"{service}_endpoint_url")
        return specific or self.aws_endpoint_url


def settings_with(**options: Any) -> Settings:
    """Settings from the environment, with the command-line options that were given on top.

    An option left at None (not given) keeps the environment's value or the default.
    """
    return Settings(**{name: value for name, value in options.items() if value is not None})
