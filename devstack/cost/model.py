"""The monthly AWS bill of a salesflow deployment, by component, from a few workload figures.

The model follows what `infra/terraform` deploys: the Kinesis stream and the SQS queue both
exist (only the configured sink carries events), one Lambda invocation lands one Parquet file,
the nightly job absorbs each day incrementally on EMR Serverless (rebuilding the days late events
reach, and the whole history every `full_rebuild_every_days`), its kept states sharing unchanged
days. Dashboards are answered by the serving tasks: with DuckDB (the default, docs/adr/0024) each
task keeps the real-time side and gold's sales of the dedup window in a database file it caches
in memory, sized from what `bench.realtime` measures, and pays the S3 requests `bench.serving_s3`
counts; with Athena each refresh runs the
dashboard's queries over the events since T, half a day's on average, at the bytes per event
`bench.athena_scan` measures on Trino, Athena's engine, plus the gold sales the real-time view
looks up. What cannot be derived
from the workload is an explicit, documented assumption in `Assumptions`. All arithmetic is
Decimal; amounts are rounded to cents only when shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Literal, NamedTuple

from devstack.cost.prices import PriceList

Sink = Literal["kinesis", "sqs"]
StreamMode = Literal["on-demand", "provisioned"]
ServingEngine = Literal["duckdb", "athena"]
EventIds = Literal["time-ordered", "random"]

GB = Decimal(1024**3)
TB = Decimal(1024**4)
SECONDS_PER_DAY = Decimal(86_400)
HOURS_PER_DAY = Decimal(24)
CENT = Decimal("0.01")


def _ceil(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_CEILING)


@dataclass(frozen=True)
class Workload:
    """What the operator knows about their traffic."""

    events_per_day: int
    event_bytes: int = 600
    """Average size of one event on the stream (JSON with ingested_at and source)."""
    retention_days: int = 365
    """Days of history the lake keeps in bronze, and so in every nightly gold rebuild."""
    dashboard_queries_per_hour: Decimal = Decimal(60)
    """Dashboard refreshes per hour that reach the engine (past the serving cache); each runs the
    refresh's queries (`Assumptions.athena_realtime_queries_per_refresh` and the others)."""
    serving_engine: ServingEngine = "duckdb"
    """SALESFLOW_SERVING_ENGINE as the Terraform root sets it (`serving_engine`): `duckdb`
    answers in the serving tasks, `athena` bills every refresh's scans."""
    serving_refresh_seconds: Decimal = Decimal(5)
    """SALESFLOW_SERVING_REFRESH_SECONDS as the Terraform root sets it: how often each DuckDB
    serving task lists the lake for landed files."""
    batch_size: int = 500
    """Records per speed-layer invocation (SALESFLOW_SPEED_BATCH_SIZE)."""
    batching_window_seconds: Decimal = Decimal(1)
    """The event source mapping's window (speed module default): below batch_size events per
    window it sets the number of invocations, so of small Parquet files to write and read."""
    sink: Sink = "kinesis"
    stream_mode: StreamMode = "on-demand"
    stream_retention_hours: int = 168
    """Kinesis retention (the Terraform default keeps a week: 144 hours are extended retention)."""
    gold_runs_kept: int = 7
    """Complete run folders the nightly job keeps (SALESFLOW_GOLD_RUNS_KEPT; it prunes the rest)."""
    reconciliation_lookback_days: int = 7
    """SALESFLOW_RECONCILIATION_LOOKBACK_DAYS: the business days the dashboard's reconciliation
    panel asks for: their real-time lines on every refresh, their gold days once per run."""
    serving_tasks: int = 1
    """Serving tasks (the serving module's `tasks`): each reads gold's part of the
    reconciliation counts once per published run and per lookback (`serving.reconciliation`)."""
    realtime_dedup_days: int = 3
    """SALESFLOW_REALTIME_DEDUP_DAYS as the Terraform root sets it: the gold days before T's
    date whose event ids each query over the real-time view reads (0: every day of history)."""
    full_rebuild_every_days: int = 7
    """SALESFLOW_BATCH_FULL_EVERY_DAYS: one nightly run in this many rebuilds every day from
    bronze, reading all of it (0: none, only when asked)."""
    bronze_intelligent_tiering: bool = True
    """The lake module's `bronze_intelligent_tiering`: compacted bronze in S3 Intelligent-Tiering,
    which bills what nothing read for 30 days at its Infrequent Access rate and for 90 at
    Archive Instant Access; a full rebuild reads every object, so the saving depends on
    `full_rebuild_every_days`."""
    kinesis_compression: bool = True
    """SALESFLOW_KINESIS_COMPRESSION as the Terraform root sets it (`kinesis_compression`): the
    ingest API puts each record gzip-compressed, so fewer bytes are billed in, out and kept."""
    event_ids: EventIds = "time-ordered"
    """How the clients make event ids. `time-ordered` (ULIDs, UUIDv7, zero-padded receipt
    numbers; the contract's example is a ULID) puts a night's ids beside the recent ones, so an
    incremental run reads the event-id index only where they fall
    (`Assumptions.event_id_index_days_read`); `random` (UUIDv4, as Segment's libraries make
    message ids) spreads them over all of it, and every run reads the whole index."""

    def __post_init__(self) -> None:
        problems = [
            f"{name} must be positive, got {value}"
            for name, value in (
                ("events_per_day", self.events_per_day),
                ("event_bytes", self.event_bytes),
                ("retention_days", self.retention_days),
                ("batch_size", self.batch_size),
                ("gold_runs_kept", self.gold_runs_kept),
                ("reconciliation_lookback_days", self.reconciliation_lookback_days),
                ("serving_tasks", self.serving_tasks),
            )
            if value <= 0
        ]
        if not 0 < self.batching_window_seconds <= 300:
            problems.append("batching_window_seconds must be above 0 and at most 300")
        if self.dashboard_queries_per_hour < 0:
            problems.append("dashboard_queries_per_hour must not be negative")
        if not 0 < self.serving_refresh_seconds <= 300:
            problems.append("serving_refresh_seconds must be above 0 and at most 300")
        if not 0 <= self.full_rebuild_every_days <= 366:
            problems.append("full_rebuild_every_days must be between 0 (none) and 366")
        if self.realtime_dedup_days < 0:
            problems.append("realtime_dedup_days must not be negative (0: every day)")
        if not 24 <= self.stream_retention_hours <= 8760:
            problems.append("stream_retention_hours must be between 24 and 8760")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class Assumptions:
    """What the workload does not say: deployment defaults and rules of thumb, one place each."""

    kinesis_records_per_event: Decimal = Decimal(1)
    """Stream records per event. 1 with one event per record; with KPL aggregation (the ingest
    API's default) the events of one PutRecords call share records, so it falls as calls carry
    more events: measured by `python -m bench.cost_inputs` on the simulator's traffic."""
    kinesis_billed_kb_per_event: Decimal | None = None
    """On-demand ingest billed per event, each record rounded up to 1 KB: measured by `python -m
    bench.cost_inputs`. None: records of the average size (`event_bytes` over
    `kinesis_records_per_event`), each rounded up."""
    kinesis_put_units_per_event: Decimal | None = None
    """Provisioned PUT payload units (25 KB, rounded up per record) per event, measured likewise;
    None: records of the average size."""
    kinesis_stream_bytes_per_event: Decimal | None = None
    """Bytes on the stream per event, the aggregated format's framing included (what consumers
    read and a shard's 1 MB/s carries), measured likewise; None: `event_bytes`."""
    kinesis_compressed_bytes_per_byte: Decimal = Decimal("0.3")
    """With `Workload.kinesis_compression`: a compressed record's bytes against the same record
    uncompressed, measured by `python -m bench.cost_inputs` on the same traffic."""
    kinesis_compressed_billed_kb_per_event: Decimal | None = None
    """`kinesis_billed_kb_per_event` with compression, measured likewise; None: records of the
    average compressed size, each rounded up."""
    kinesis_compressed_put_units_per_event: Decimal | None = None
    """`kinesis_put_units_per_event` with compression, measured likewise; None: records of the
    average compressed size."""
    parquet_bytes_per_event_byte: Decimal = Decimal("0.25")
    """Snappy Parquet of bronze against the JSON on the stream."""
    silver_bytes_per_event: Decimal = Decimal(100)
    """What a full run keeps in silver per event of history: its typed, deduplicated lines and
    the event-id index; measured by `python -m bench.batch_incremental` on a year of history."""
    gold_bytes_per_event: Decimal = Decimal(125)
    """What a full run's gold folder holds per event of history: `sales_wide` (one wide row per
    sale line), the marts, the customer tables and the quarantine; measured likewise."""
    lambda_memory_gb: Decimal = Decimal(1)
    lambda_base_ms: Decimal = Decimal(150)
    lambda_ms_per_event: Decimal = Decimal("0.2")
    sqs_pollers: Decimal = Decimal(5)
    """Long-polling connections an SQS event source mapping keeps open (20 s each)."""
    api_min_tasks: Decimal = Decimal(2)
    api_task_vcpu: Decimal = Decimal("0.25")
    api_task_gb: Decimal = Decimal("0.5")
    """The ingest module's task size (a quarter vCPU, 512 MiB): its floor is `api_min_tasks`."""
    api_events_per_second_per_task: Decimal = Decimal(200)
    """What one such task is given to carry on average: 800 events a second per vCPU, several
    times below what `python -m bench.ingest` measures per CPU-second, for peaks above the
    average and the stream's latency."""
    api_bytes_per_request_overhead: Decimal = Decimal(400)
    """Headers and the 202 answer around each event through the load balancer."""
    api_requests_per_new_connection: Decimal = Decimal(10)
    compaction_runs_per_day: Decimal = Decimal(144)
    """The `batch` module's `compaction_schedule`, every 10 minutes: each run merges what has
    landed so far in the open hours and the hours just closed (`salesflow compact --open-hours`)."""
    compaction_task_hours: Decimal = Decimal(2) / Decimal(60)
    """One run's task time: at most ten minutes of files, and Fargate bills a minute at least."""
    compaction_task_vcpu: Decimal = Decimal(1)
    compaction_task_gb: Decimal = Decimal(4)
    spark_base_vcpu_hours: Decimal = Decimal(1)
    """Driver and executor start-up of one run, whatever the data (4 vCPU for 15 minutes)."""
    spark_vcpu_hours_per_input_gb: Decimal = Decimal("0.5")
    spark_gb_per_vcpu: Decimal = Decimal(4)
    spark_get_requests_per_file: Decimal = Decimal(3)
    affected_days_per_run: Decimal = Decimal(30)
    """Business days an incremental run rewrites: late events reach back a month (ADR 0018)."""
    event_id_index_days_read: Decimal = Decimal(31)
    """Days of history whose event-id index an incremental run reads when the ids are
    time-ordered: those its late events reach and the new one (`batch_layer.index_ranges` reads
    the index only within the ranges of the run's ids)."""
    event_id_index_bytes_per_event: Decimal = Decimal(20)
    """Compressed Parquet of the event-id index, per event of history (silver's `event_ids/`, one
    entry per sale: its id, the winner's source and its 8-byte content digest, which does not
    compress). Measured by `python -m bench.batch_incremental` on ULID ids, stored with Zstandard;
    shorter sequential ids take less."""
    gold_event_id_bytes_per_event: Decimal = Decimal(12)
    """What each query over the real-time view reads from gold to find the sales gold holds
    (`views/sales_realtime.sql`, `earlier_sales`), per event of the gold days it looks up:
    gold's `event_id`, `source` and `content_digest` columns, one value per sale line, whatever
    the real-time ids are. Measured on Trino by `python -m bench.athena_scan` over a published
    gold history; an assumption until it ran."""
    reconciliation_gold_bytes_per_event: Decimal = Decimal(30)
    """What gold's part of the reconciliation counts reads, per event of the gold days in the
    panel's lookback (`Workload.reconciliation_lookback_days` but today): its columns of
    `sales_wide` for those days. Measured on Trino by `python -m bench.athena_scan`."""
    reconciliation_gold_reads_per_day: Decimal = Decimal(2)
    """How often a serving task asks gold's part of the reconciliation counts again: after each
    nightly publication, and when the lookback's days move at the reporting zone's midnight."""
    bronze_bytes_scanned_per_event: Decimal = Decimal(79)
    """Compacted bronze Parquet per event, whole files: measured, not assumed (`python -m
    bench.freshness` after about 1M events since T, every hour compacted; docs/serving.md). It
    sizes bronze (`parquet_bytes_per_event_byte`), and prices Athena's scan where
    `bench.athena_scan` has not measured it (every refresh then one query reading whole files)."""
    athena_realtime_queries_per_refresh: Decimal = Decimal(1)
    """Queries of one dashboard refresh that read the real-time side (bronze since T): measured
    by `python -m bench.athena_scan`, which records the SQL a refresh sends."""
    athena_bytes_scanned_per_event: Decimal | None = None
    """Bytes those queries read from S3 together per real-time event since T: measured on Trino
    (`python -m bench.athena_scan`: physical input bytes, only the Parquet column chunks and
    footers each query needs). None: the whole bronze files, `bronze_bytes_scanned_per_event`."""
    athena_day_share_since_t: Decimal = Decimal("0.5")
    """The share of a day's events a refresh finds since T, on average: refreshes spread evenly
    over the day, T moving once a day (the nightly run), traffic flat. A refresh just before
    the nightly run reads a whole day, one just after it nothing; a dashboard watched only in
    shop hours, with T at night, sees more than half (at most 1: every refresh priced late)."""
    athena_other_queries_per_refresh: Decimal = Decimal(0)
    """The refresh's queries over reference tables and marts only (customers, the stores' time
    zones): they read a few KB, and Athena bills each its 10 MB minimum."""
    serving_bytes_per_realtime_event: Decimal = Decimal(400)
    """What a DuckDB serving task's database file holds per real-time event since T: its lines,
    quality flags and reference attributes materialized, and its winning copy, compressed.
    Measured by `python -m bench.realtime` (ids of 26 characters)."""
    serving_bytes_per_gold_sale: Decimal = Decimal(80)
    """What it holds per gold sale of the dedup window (its base id, id, source and digest, kept
    for the lookup from the run's installation): measured likewise."""
    serving_base_gb: Decimal = Decimal("0.75")
    """A serving task's memory beside DuckDB's cache: Python, the app, the query API's answers
    (the Terraform root gives DuckDB the task's memory less 768 MiB)."""
    serving_list_requests_per_refresh: Decimal = Decimal(2)
    """S3 LISTs a DuckDB serving task's refresh makes with nothing new: bronze from T's day on
    (one listing from there, `StartAfter`) and the CSV uploads. Measured by `python -m
    bench.serving_s3`, as the four below."""
    serving_get_requests_per_refresh: Decimal = Decimal(5)
    """S3 GET-class requests of a refresh with nothing new: the publication pointer (a HEAD and
    a GET) and a HEAD of each reference table's effective file."""
    serving_get_requests_per_merge: Decimal = Decimal(12)
    """S3 GET-class requests a refresh makes beyond that when files landed since the last one:
    the new files' footers and columns."""
    serving_get_requests_per_dashboard_refresh: Decimal = Decimal(51)
    """S3 GET-class requests one dashboard refresh makes: its questions' reads of gold's and
    bronze's files (each file's HEADs once a minute, ranges DuckDB has not kept), and the
    refreshes its questions share."""
    serving_list_requests_per_dashboard_refresh: Decimal = Decimal(15)
    """S3 LISTs one dashboard refresh makes: the listings of the refreshes its questions share (a
    question that refreshes twice needs a second) and the reconciliation reports of the panel's
    days, a listing each."""
    serving_athena_task_vcpu: Decimal = Decimal("0.5")
    serving_athena_task_gb: Decimal = Decimal(2)
    """A serving task that only forwards questions to Athena: the serving module's defaults."""
    kms_requests_per_s3_request: Decimal = Decimal("0.01")
    """S3 bucket keys let one KMS call serve many objects."""
    kms_requests_per_day_fixed: Decimal = Decimal(4 * 288)
    """Stream and queue data keys, renewed every 5 minutes for two principals each."""
    alarms: Decimal = Decimal(18)
    """What the observability module creates with the dashboard deployed: twelve platform alarms
    (among them one per dead-letter queue and two on the schedules), three with the serving tasks
    (5xx, healthy hosts, reconciliation) and one per Lambda."""
    dashboards: Decimal = Decimal(1)
    log_bytes_per_invocation: Decimal = Decimal(500)
    log_bytes_per_api_request: Decimal = Decimal(300)


@dataclass(frozen=True)
class LineItem:
    component: str
    monthly: Decimal
    basis: str
    """The quantities behind the figure, so a reader can check it against the price file."""


@dataclass(frozen=True)
class Estimate:
    workload: Workload
    prices: PriceList
    items: list[LineItem] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((item.monthly for item in self.items), Decimal(0))


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class _Volumes:
    """Monthly quantities every component is priced from."""

    days: Decimal
    hours: Decimal
    events: Decimal
    invocations: Decimal
    events_per_invocation: Decimal
    bronze_gb_per_day: Decimal
    bronze_gb: Decimal
    silver_gb: Decimal
    """One full copy of silver (a full run's part)."""
    gold_gb: Decimal
    """One full copy of gold (a full run's folder)."""


def _volumes(w: Workload, a: Assumptions, prices: PriceList) -> _Volumes:
    hours = prices.hours_per_month
    days = hours / 24
    per_day = Decimal(w.events_per_day)
    windows_per_day = SECONDS_PER_DAY / w.batching_window_seconds
    invocations_per_day = max(_ceil(per_day / w.batch_size), min(per_day, windows_per_day))
    bronze_gb_per_day = per_day * w.event_bytes * a.parquet_bytes_per_event_byte / GB
    bronze_gb = bronze_gb_per_day * w.retention_days
    history_events = per_day * w.retention_days
    return _Volumes(
        days=days,
        hours=hours,
        events=per_day * days,
        invocations=invocations_per_day * days,
        events_per_invocation=per_day / invocations_per_day,
        bronze_gb_per_day=bronze_gb_per_day,
        bronze_gb=bronze_gb,
        silver_gb=history_events * a.silver_bytes_per_event / GB,
        gold_gb=history_events * a.gold_bytes_per_event / GB,
    )


def _average_record_units(w: Workload, a: Assumptions, unit: Decimal) -> Decimal:
    """Billing units per event when records are all of the average size (compressed, when they
    are), each rounded up."""
    shrink = a.kinesis_compressed_bytes_per_byte if w.kinesis_compression else Decimal(1)
    per_record = _ceil(Decimal(w.event_bytes) * shrink / a.kinesis_records_per_event / unit)
    return a.kinesis_records_per_event * per_record


def _kinesis(w: Workload, a: Assumptions, v: _Volumes, p: PriceList) -> LineItem:
    carried = w.sink == "kinesis"
    events = v.events if carried else Decimal(0)
    records = events * a.kinesis_records_per_event
    stream_bytes = a.kinesis_stream_bytes_per_event or Decimal(w.event_bytes)
    measured_kb, measured_units = a.kinesis_billed_kb_per_event, a.kinesis_put_units_per_event
    if w.kinesis_compression:
        stream_bytes *= a.kinesis_compressed_bytes_per_byte
        measured_kb = a.kinesis_compressed_billed_kb_per_event
        measured_units = a.kinesis_compressed_put_units_per_event
    extended_hours = Decimal(w.stream_retention_hours - 24)
    if w.stream_mode == "on-demand":
        rounding = p("kinesis", "on_demand_record_rounding_bytes")
        billed_kb = measured_kb
        if billed_kb is None:
            billed_kb = _average_record_units(w, a, rounding)
        ingest_gb = events * billed_kb * rounding / GB
        retrieval_gb = events * stream_bytes / GB
        stored_gb = ingest_gb / v.days * extended_hours / 24
        monthly = (
            v.hours * p("kinesis", "on_demand_stream_hour")
            + ingest_gb * p("kinesis", "on_demand_ingest_per_gb")
            + retrieval_gb * p("kinesis", "on_demand_retrieval_per_gb")
            + stored_gb * p("kinesis", "on_demand_extended_retention_gb_month")
        )
        basis = (
            f"on-demand, {v.hours} stream-hours, {records:.0f} records "
            f"({a.kinesis_records_per_event:.4f} per event"
            f"{', gzip-compressed' if w.kinesis_compression else ''}), "
            f"{ingest_gb:.2f} GB in (each record "
            f"rounded up to 1 KB: {billed_kb:.4f} KB per event), {retrieval_gb:.2f} GB out, "
            f"{stored_gb:.2f} GB in extended retention"
        )
        return LineItem("Kinesis", monthly, basis)
    peak_per_second = events / v.days / SECONDS_PER_DAY * 3
    shards = max(
        Decimal(1),
        _ceil(
            peak_per_second
            * stream_bytes
            / p("kinesis", "provisioned_shard_ingest_bytes_per_second")
        ),
        _ceil(
            peak_per_second
            * a.kinesis_records_per_event
            / p("kinesis", "provisioned_shard_records_per_second")
        ),
    )
    units_per_event = measured_units
    if units_per_event is None:
        units_per_event = _average_record_units(
            w, a, p("kinesis", "provisioned_put_payload_unit_bytes")
        )
    units = events * units_per_event
    extended = (
        p("kinesis", "provisioned_extended_retention_shard_hour") if extended_hours else Decimal(0)
    )
    monthly = shards * v.hours * (
        p("kinesis", "provisioned_shard_hour") + extended
    ) + units / 1_000_000 * p("kinesis", "provisioned_put_payload_units_per_million")
    basis = f"provisioned, {shards} shard(s) for 3x the average rate, {units:.0f} PUT units"
    return LineItem("Kinesis", monthly, basis)


def _sqs(w: Workload, a: Assumptions, v: _Volumes, p: PriceList) -> LineItem:
    polls = a.sqs_pollers * SECONDS_PER_DAY / 20 * v.days
    batches = _ceil(v.events / 10) if w.sink == "sqs" else Decimal(0)
    chunks = _ceil(Decimal(10 * w.event_bytes) / p("sqs", "request_chunk_bytes"))
    requests = polls + 3 * batches * chunks
    monthly = requests / 1_000_000 * p("sqs", "standard_requests_per_million")
    basis = f"{requests:.0f} requests (send, receive, delete in 10s; idle long polls)"
    return LineItem("SQS", monthly, basis)


def _lambda(a: Assumptions, v: _Volumes, p: PriceList) -> LineItem:
    milliseconds = a.lambda_base_ms + a.lambda_ms_per_event * v.events_per_invocation
    gb_seconds = v.invocations * milliseconds / 1000 * a.lambda_memory_gb
    monthly = v.invocations / 1_000_000 * p("lambda", "requests_per_million") + gb_seconds * p(
        "lambda", "gb_second_x86"
    )
    basis = (
        f"{v.invocations:.0f} invocations of {v.events_per_invocation:.1f} events, "
        f"{gb_seconds:.0f} GB-s"
    )
    return LineItem("Lambda", monthly, basis)


def _s3_requests(w: Workload, a: Assumptions, v: _Volumes) -> tuple[Decimal, Decimal]:
    """(PUT-class, GET-class) requests a month: speed files, compaction, nightly runs, serving.

    The nightly job reads one merged file per hour of history. On Athena a dashboard query reads
    every bronze file since T: those landed since the last compaction run, the open hour's
    merged file and one per hour closed since T (about a day of them, T being early in the
    morning). A DuckDB serving task lists the lake and reads the pointer on every refresh
    (LISTs bill as PUT-class requests), reads what landed since the last one when anything did
    (a refresh merges every file landed since the previous one), and reads the files the
    dashboard's questions need: each as `bench.serving_s3` counts it."""
    compacted_files = HOURS_PER_DAY * w.retention_days
    puts = (
        v.invocations + a.compaction_runs_per_day * v.days + 2 * Decimal(w.retention_days) * v.days
    )
    gets = v.invocations + compacted_files * a.spark_get_requests_per_file * v.days
    if w.serving_engine == "athena":
        speed_files_per_query = (
            v.invocations / v.days / a.compaction_runs_per_day + 1 + HOURS_PER_DAY
        )
        gets += (
            w.dashboard_queries_per_hour
            * v.hours
            * speed_files_per_query
            * a.spark_get_requests_per_file
        )
        return puts, gets
    refreshes = v.hours * 3600 / w.serving_refresh_seconds * w.serving_tasks
    merges = min(refreshes, v.invocations * w.serving_tasks)
    dashboard_refreshes = w.dashboard_queries_per_hour * v.hours
    puts += (
        refreshes * a.serving_list_requests_per_refresh
        + dashboard_refreshes * a.serving_list_requests_per_dashboard_refresh
    )
    gets += (
        refreshes * a.serving_get_requests_per_refresh
        + merges * a.serving_get_requests_per_merge
        + dashboard_refreshes * a.serving_get_requests_per_dashboard_refresh
    )
    return puts, gets


def _s3(w: Workload, a: Assumptions, v: _Volumes, p: PriceList) -> LineItem:
    rewritten_share = min(Decimal(1), a.affected_days_per_run / w.retention_days)
    # Kept states share unchanged days: the last full rebuild's copy, the one before it while a
    # kept state still reads it, and the days each kept incremental run rewrote; silver
    # likewise, each incremental run's part holding a day's new events.
    interval = w.full_rebuild_every_days
    full_copies = 1 + (min(Decimal(1), Decimal(w.gold_runs_kept) / interval) if interval else 0)
    gold_copies = full_copies + w.gold_runs_kept * rewritten_share
    silver_copies = full_copies + Decimal(w.gold_runs_kept) / w.retention_days
    stored_gb = v.bronze_gb + v.silver_gb * silver_copies + v.gold_gb * gold_copies
    puts, gets = _s3_requests(w, a, v)
    frequent, infrequent, archive = _bronze_tiers(w)
    # one compacted file an hour, the objects Intelligent-Tiering monitors
    monitored = Decimal(24 * w.retention_days if w.bronze_intelligent_tiering else 0)
    monthly = (
        (stored_gb - v.bronze_gb * (infrequent + archive)) * p("s3", "standard_gb_month")
        + v.bronze_gb * infrequent * p("s3", "intelligent_tiering_infrequent_gb_month")
        + v.bronze_gb * archive * p("s3", "intelligent_tiering_archive_instant_gb_month")
        + monitored / 1000 * p("s3", "intelligent_tiering_monitoring_per_thousand_objects")
        + puts / 1000 * p("s3", "put_requests_per_thousand")
        + gets / 1000 * p("s3", "get_requests_per_thousand")
    )
    tiers = (
        f"; bronze {frequent:.0%} frequent, {infrequent:.0%} infrequent, {archive:.0%} archive "
        "instant (Intelligent-Tiering)"
        if w.bronze_intelligent_tiering
        else ""
    )
    basis = (
        f"{stored_gb:.1f} GB stored ({v.bronze_gb:.1f} bronze, {silver_copies:.2f} copies of "
        f"{v.silver_gb:.1f} silver and {gold_copies:.2f} of {v.gold_gb:.1f} gold for "
        f"{w.gold_runs_kept} kept states), "
        f"{puts:.0f} PUT, {gets:.0f} GET{tiers}"
    )
    return LineItem("S3", monthly, basis)


IDLE_DAYS_TO_INFREQUENT = 30
IDLE_DAYS_TO_ARCHIVE_INSTANT = 90
"""S3 Intelligent-Tiering's automatic tiers: days without a read before an object moves."""


def _bronze_tiers(w: Workload) -> tuple[Decimal, Decimal, Decimal]:
    """Bronze's shares in Intelligent-Tiering's frequent, infrequent and archive instant tiers.

    Only a full rebuild reads old bronze, so an object's days since its last read run from 0 to
    the rebuild interval and start again (to its age, up to the retention, without rebuilds);
    averaged over that cycle, it spends the first 30 days frequent, the next 60 infrequent and
    the rest archive instant."""
    if not w.bronze_intelligent_tiering:
        return Decimal(1), Decimal(0), Decimal(0)
    cycle = Decimal(min(w.full_rebuild_every_days or w.retention_days, w.retention_days))
    frequent = min(cycle, Decimal(IDLE_DAYS_TO_INFREQUENT))
    infrequent = min(cycle, Decimal(IDLE_DAYS_TO_ARCHIVE_INSTANT)) - frequent
    return frequent / cycle, infrequent / cycle, (cycle - frequent - infrequent) / cycle


def _athena(w: Workload, a: Assumptions, v: _Volumes, p: PriceList) -> LineItem:
    """Each refresh's queries over the real-time view read the bronze of the events since T
    (`athena_day_share_since_t` of a day's) and the sales of the gold days its lookup of gold
    reads (`_gold_days_looked_up`), each at least Athena's minimum; its other queries the
    minimum each. Gold's part of the reconciliation counts, the gold days of the panel's
    lookback, is read by each serving task once per run and lookback, not per refresh."""
    if w.serving_engine != "athena":
        return LineItem(
            "Athena",
            Decimal(0),
            "no dashboard query reaches Athena: the serving tasks answer with DuckDB "
            "(serving_engine duckdb); analysts' own queries bill what they scan",
        )
    refreshes = w.dashboard_queries_per_hour * v.hours
    minimum = p("athena", "minimum_bytes_per_query")
    per_event, how = a.athena_bytes_scanned_per_event, "bytes read from S3, measured on Trino"
    if per_event is None:
        per_event, how = a.bronze_bytes_scanned_per_event, "whole files"
    queries = a.athena_realtime_queries_per_refresh
    since_t = Decimal(w.events_per_day) * a.athena_day_share_since_t
    gold_ids = Decimal(w.events_per_day) * _gold_days_looked_up(w) * a.gold_event_id_bytes_per_event
    per_query = max(since_t * per_event / queries + gold_ids, minimum)
    others = a.athena_other_queries_per_refresh
    scanned = queries * per_query + others * minimum
    lookback = Decimal(w.events_per_day) * _lookback_days(w) * a.reconciliation_gold_bytes_per_event
    lookback_reads = v.days * a.reconciliation_gold_reads_per_day * w.serving_tasks
    tb = (refreshes * scanned + lookback_reads * lookback) / TB
    monthly = tb * p("athena", "per_tb_scanned")
    others_text = f" + {others:.0f} over reference tables and marts" if others else ""
    basis = (
        f"{refreshes:.0f} dashboard refreshes x {scanned / 1024**2:.1f} MB: {queries:.0f} "
        f"{'query' if queries == 1 else 'queries'} over {since_t:,.0f} events since T on "
        f"average at {per_event} B/event together ({how}), each also reading gold's sales "
        f"for its lookup of gold ({gold_ids / GB:,.2f} GB: {_gold_days_looked_up(w)} days of gold "
        f"at {a.gold_event_id_bytes_per_event} B/event){others_text}; "
        f"{lookback_reads:.0f} reads of the reconciliation panel's {_lookback_days(w)} gold "
        f"days ({lookback / GB:,.2f} GB at {a.reconciliation_gold_bytes_per_event} B/event, "
        f"{a.reconciliation_gold_reads_per_day:.0f} a day per serving task); "
        f"10 MB minimum per query = {tb:.3f} TB"
    )
    return LineItem("Athena", monthly, basis)


def _lookback_days(w: Workload) -> int:
    """Gold days the reconciliation panel reads: its lookback but today (real-time since the
    nightly T), at most the history kept."""
    return min(w.reconciliation_lookback_days - 1, w.retention_days)


def _gold_days_looked_up(w: Workload) -> int:
    """Gold days the real-time view's lookup of gold's sales reads: the window's days before T's
    date and T's date itself, or all history without a window (docs/adr/0022)."""
    if w.realtime_dedup_days == 0:
        return w.retention_days
    return min(w.realtime_dedup_days + 1, w.retention_days)


def _index_share_read(w: Workload, a: Assumptions) -> Decimal:
    """The share of the event-id index an incremental run reads: the days its time-ordered ids
    reach, or all of it for random ids."""
    if w.event_ids == "random":
        return Decimal(1)
    return min(Decimal(1), a.event_id_index_days_read / w.retention_days)


def _emr(w: Workload, a: Assumptions, v: _Volumes, p: PriceList) -> LineItem:
    full_runs = v.days / w.full_rebuild_every_days if w.full_rebuild_every_days else Decimal(0)
    incremental_runs = v.days - full_runs
    index_gb = v.events / v.days * w.retention_days * a.event_id_index_bytes_per_event / GB
    index_read_gb = index_gb * _index_share_read(w, a)
    affected = min(a.affected_days_per_run, Decimal(w.retention_days))
    incremental_gb = v.bronze_gb_per_day * (1 + affected) + index_read_gb
    vcpu_hours = full_runs * (
        a.spark_base_vcpu_hours + a.spark_vcpu_hours_per_input_gb * v.bronze_gb
    ) + incremental_runs * (
        a.spark_base_vcpu_hours + a.spark_vcpu_hours_per_input_gb * incremental_gb
    )
    gb_hours = vcpu_hours * a.spark_gb_per_vcpu
    monthly = vcpu_hours * p("emr_serverless", "vcpu_hour") + gb_hours * p(
        "emr_serverless", "gb_hour"
    )
    basis = (
        f"{full_runs:.1f} full rebuilds of {v.bronze_gb:.1f} GB bronze and {incremental_runs:.1f} "
        f"incremental runs of {incremental_gb:.1f} GB ({affected:.0f} days rewritten, "
        f"{index_read_gb:.2f} of {index_gb:.2f} GB of event ids read, {w.event_ids} ids): "
        f"{vcpu_hours:.0f} vCPU-h"
    )
    return LineItem("EMR Serverless", monthly, basis)


class FargateSize(NamedTuple):
    vcpu: Decimal
    least_gb: Decimal
    most_gb: Decimal
    step_gb: Decimal
    """Memory comes in steps of this many GB between the least and the most."""


FARGATE_SIZES = (
    FargateSize(Decimal("0.25"), Decimal("0.5"), Decimal(2), Decimal(1)),
    FargateSize(Decimal("0.5"), Decimal(1), Decimal(4), Decimal(1)),
    FargateSize(Decimal(1), Decimal(2), Decimal(8), Decimal(1)),
    FargateSize(Decimal(2), Decimal(4), Decimal(16), Decimal(1)),
    FargateSize(Decimal(4), Decimal(8), Decimal(30), Decimal(1)),
    FargateSize(Decimal(8), Decimal(16), Decimal(60), Decimal(4)),
    FargateSize(Decimal(16), Decimal(32), Decimal(120), Decimal(8)),
)
"""Fargate's task sizes, smallest first."""


MAX_EPHEMERAL_STORAGE_GB = Decimal(200)


@dataclass(frozen=True)
class ServingTask:
    vcpu: Decimal
    gb: Decimal
    held_gb: Decimal
    """What its DuckDB database holds (0 with Athena): the memory it caches, beside the base."""
    storage_gb: Decimal
    """The task storage its database file needs at a rebuild's peak (0 with Athena)."""


def serving_task(w: Workload, a: Assumptions) -> ServingTask:
    """The smallest Fargate size for a serving task; with Athena the module's default. With
    DuckDB the task caches its whole database (so the dashboard's questions never wait on the
    disk) on top of the base: the real-time side at its largest (a whole day since T, just
    before the nightly run) and gold's sales of the window. The file holds one of the two twice
    at a rebuild's peak, as new tables are written beside the old until the rebuild commits: a
    reference load rebuilds the side, a publication gold's sales."""
    if w.serving_engine == "athena":
        return ServingTask(
            a.serving_athena_task_vcpu, a.serving_athena_task_gb, Decimal(0), Decimal(0)
        )
    events = Decimal(w.events_per_day)
    side = events * a.serving_bytes_per_realtime_event / GB
    gold = events * _gold_days_looked_up(w) * a.serving_bytes_per_gold_sale / GB
    held, storage = side + gold, side + gold + max(side, gold)
    needed = a.serving_base_gb + held
    fits = [size for size in FARGATE_SIZES if needed <= size.most_gb]
    if not fits or storage > MAX_EPHEMERAL_STORAGE_GB:
        raise ValueError(
            f"a DuckDB serving task would need {needed:.0f} GB of memory and {storage:.0f} GB of "
            f"storage, above Fargate's largest task ({FARGATE_SIZES[-1].most_gb} GB, "
            f"{MAX_EPHEMERAL_STORAGE_GB} GB): shorten the dedup window (realtime_dedup_days) or "
            "serve with Athena (serving_engine athena)"
        )
    size = fits[0]
    memory = max(size.least_gb, _ceil(needed / size.step_gb) * size.step_gb)
    return ServingTask(size.vcpu, memory, held, storage)


def _fargate(w: Workload, a: Assumptions, v: _Volumes, p: PriceList) -> LineItem:
    average_rate = Decimal(w.events_per_day) / SECONDS_PER_DAY
    tasks = max(a.api_min_tasks, _ceil(average_rate / a.api_events_per_second_per_task))
    compaction_hours = a.compaction_runs_per_day * a.compaction_task_hours * v.days
    serving = serving_task(w, a)
    vcpu_hours = (
        tasks * a.api_task_vcpu * v.hours
        + compaction_hours * a.compaction_task_vcpu
        + w.serving_tasks * serving.vcpu * v.hours
    )
    gb_hours = (
        tasks * a.api_task_gb * v.hours
        + compaction_hours * a.compaction_task_gb
        + w.serving_tasks * serving.gb * v.hours
    )
    extra_storage_gb = max(
        Decimal(0), _ceil(serving.storage_gb) - p("fargate", "ephemeral_storage_included_gb")
    )
    monthly = (
        vcpu_hours * p("fargate", "vcpu_hour")
        + gb_hours * p("fargate", "gb_hour")
        + w.serving_tasks * extra_storage_gb * v.hours * p("fargate", "ephemeral_storage_gb_hour")
    )
    held = (
        f" (its database {serving.held_gb:.1f} GB, {serving.storage_gb:.1f} GB of storage "
        "at a rebuild)"
        if serving.held_gb
        else ""
    )
    basis = (
        f"{tasks} API task(s) always on, {w.serving_tasks} {w.serving_engine} serving task(s) "
        f"of {serving.vcpu} vCPU and {serving.gb} GB{held}, "
        f"{compaction_hours:.1f} compaction task-hours"
    )
    return LineItem("ECS Fargate", monthly, basis)


def _alb(w: Workload, a: Assumptions, v: _Volumes, p: PriceList) -> LineItem:
    requests_per_hour = v.events / v.hours
    processed_gb_per_hour = (
        requests_per_hour * (w.event_bytes + a.api_bytes_per_request_overhead) / GB
    )
    new_connections_per_second = requests_per_hour / 3600 / a.api_requests_per_new_connection
    lcus = max(
        processed_gb_per_hour / p("alb", "lcu_processed_gb_per_hour"),
        new_connections_per_second / p("alb", "lcu_new_connections_per_second"),
    )
    monthly = v.hours * (p("alb", "hour") + lcus * p("alb", "lcu_hour"))
    basis = f"{v.hours} hours, {lcus:.3f} LCU on average"
    return LineItem("ALB", monthly, basis)


def _kms(w: Workload, a: Assumptions, v: _Volumes, p: PriceList) -> LineItem:
    puts, gets = _s3_requests(w, a, v)
    requests = (puts + gets) * a.kms_requests_per_s3_request + a.kms_requests_per_day_fixed * v.days
    monthly = p("kms", "key_month") + requests / 10_000 * p("kms", "requests_per_ten_thousand")
    return LineItem("KMS", monthly, f"1 key, {requests:.0f} requests")


def _cloudwatch(a: Assumptions, v: _Volumes, p: PriceList) -> LineItem:
    log_gb = (
        v.invocations * a.log_bytes_per_invocation + v.events * a.log_bytes_per_api_request
    ) / GB
    monthly = (
        a.alarms * p("cloudwatch", "alarm_month")
        + a.dashboards * p("cloudwatch", "dashboard_month")
        + log_gb * p("cloudwatch", "log_ingest_per_gb")
    )
    basis = f"{a.alarms} alarms, {a.dashboards} dashboard, {log_gb:.2f} GB of logs"
    return LineItem("CloudWatch", monthly, basis)


def estimate(
    workload: Workload, prices: PriceList, assumptions: Assumptions | None = None
) -> Estimate:
    a = assumptions or Assumptions()
    v = _volumes(workload, a, prices)
    items = [
        _kinesis(workload, a, v, prices),
        _sqs(workload, a, v, prices),
        _lambda(a, v, prices),
        _s3(workload, a, v, prices),
        _athena(workload, a, v, prices),
        _emr(workload, a, v, prices),
        _fargate(workload, a, v, prices),
        _alb(workload, a, v, prices),
        _kms(workload, a, v, prices),
        _cloudwatch(a, v, prices),
    ]
    return Estimate(workload, prices, items)
