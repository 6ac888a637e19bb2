"""The cost model's arithmetic against figures worked out by hand for one small workload.

Test prices are round numbers and the month is 720 hours (30 days), so every expectation below
can be checked with pencil and paper; byte counts are chosen so GB figures are exact in Decimal.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from devstack.cost import (
    Assumptions,
    LineItem,
    PriceFileError,
    PriceList,
    Workload,
    cents,
    estimate,
    load_prices,
)

TEST_PRICES: dict[str, Any] = {
    "as_of": "2026-01-01",
    "region": "us-east-1",
    "currency": "USD",
    "hours_per_month": "720",
    "sources": {},
    "kinesis": {
        "on_demand_stream_hour": "0.04",
        "on_demand_ingest_per_gb": "0.08",
        "on_demand_retrieval_per_gb": "0.04",
        "on_demand_record_rounding_bytes": "1024",
        "on_demand_extended_retention_gb_month": "0.10",
        "provisioned_shard_hour": "0.015",
        "provisioned_put_payload_units_per_million": "0.014",
        "provisioned_put_payload_unit_bytes": "25600",
        "provisioned_extended_retention_shard_hour": "0.02",
        "provisioned_shard_ingest_bytes_per_second": "1048576",
        "provisioned_shard_records_per_second": "1000",
    },
    "sqs": {"standard_requests_per_million": "0.40", "request_chunk_bytes": "65536"},
    "lambda": {"requests_per_million": "0.20", "gb_second_x86": "0.00001"},
    "s3": {
        "standard_gb_month": "0.023",
        "intelligent_tiering_infrequent_gb_month": "0.0125",
        "intelligent_tiering_archive_instant_gb_month": "0.004",
        "intelligent_tiering_monitoring_per_thousand_objects": "0.0025",
        "put_requests_per_thousand": "0.005",
        "get_requests_per_thousand": "0.0004",
    },
    "athena": {"per_tb_scanned": "5", "minimum_bytes_per_query": "10485760"},
    "emr_serverless": {"vcpu_hour": "0.05", "gb_hour": "0.005"},
    "fargate": {
        "vcpu_hour": "0.04",
        "gb_hour": "0.004",
        "ephemeral_storage_gb_hour": "0.0001",
        "ephemeral_storage_included_gb": "20",
    },
    "alb": {
        "hour": "0.0225",
        "lcu_hour": "0.008",
        "lcu_new_connections_per_second": "25",
        "lcu_processed_gb_per_hour": "1",
    },
    "kms": {"key_month": "1", "requests_per_ten_thousand": "0.03"},
    "cloudwatch": {"alarm_month": "0.10", "dashboard_month": "3", "log_ingest_per_gb": "0.50"},
}

ONE_PER_SECOND = Workload(
    events_per_day=86_400,
    event_bytes=512,
    retention_days=10,
    dashboard_queries_per_hour=Decimal(10),
    batch_size=100,
    stream_retention_hours=24,
    gold_runs_kept=2,
    serving_engine="athena",
    kinesis_compression=False,
    bronze_intelligent_tiering=False,
)
"""2,592,000 events a month; with a 1 s batching window every invocation carries one event.
Dashboards are answered by Athena (the DuckDB serving tasks are tested on their own below);
stream records go uncompressed and bronze stays in S3 Standard (compression and tiering are
tested on their own below)."""


@pytest.fixture
def prices() -> PriceList:
    return PriceList.from_document(TEST_PRICES)


def _item(
    workload: Workload,
    prices: PriceList,
    component: str,
    assumptions: Assumptions | None = None,
) -> Decimal:
    (item,) = [i for i in estimate(workload, prices, assumptions).items if i.component == component]
    return item.monthly


def test_kinesis_on_demand_bills_stream_hours_and_rounds_records_up_to_1_kb(prices) -> None:
    # 720 h x 0.04 = 28.80; in: 2,592,000 x 1024 B = 2.471923828125 GB x 0.08 = 0.19775390625;
    # out: 2,592,000 x 512 B = 1.2359619140625 GB x 0.04 = 0.0494384765625; 24 h: no extension.
    assert _item(ONE_PER_SECOND, prices, "Kinesis") == Decimal("29.0471923828125")


def test_kinesis_extended_retention_bills_the_data_kept_past_24_hours(prices) -> None:
    week = Workload(**{**ONE_PER_SECOND.__dict__, "stream_retention_hours": 168})
    # one day's ingest 0.0823974609375 GB kept 144 h = 6 days: 0.494384765625 GB x 0.10.
    extra = _item(week, prices, "Kinesis") - _item(ONE_PER_SECOND, prices, "Kinesis")
    assert extra == Decimal("0.0494384765625")


def test_an_idle_kinesis_stream_still_costs_its_stream_hours(prices) -> None:
    on_sqs = Workload(**{**ONE_PER_SECOND.__dict__, "sink": "sqs"})
    assert _item(on_sqs, prices, "Kinesis") == Decimal("28.80")


def test_provisioned_kinesis_sizes_shards_for_three_times_the_average_rate(prices) -> None:
    busy = Workload(
        events_per_day=86_400_000,
        event_bytes=512,
        stream_mode="provisioned",
        stream_retention_hours=24,
        kinesis_compression=False,
    )
    # 1000 events/s x 3 = 3000/s -> 3 shards (records), 1.5 MB/s -> 2 (bytes): 3 shards.
    # 3 x 720 h x 0.015 = 32.40; 2,592,000,000 PUT units / 1e6 x 0.014 = 36.288.
    assert _item(busy, prices, "Kinesis") == Decimal("68.688")


def _kinesis_with(workload: Workload, prices: PriceList, assumptions: Assumptions) -> Decimal:
    (item,) = [i for i in estimate(workload, prices, assumptions).items if i.component == "Kinesis"]
    return item.monthly


def test_aggregated_records_bill_the_measured_kb_and_bytes_per_event(prices) -> None:
    packed = Assumptions(
        kinesis_records_per_event=Decimal("0.05"),
        kinesis_billed_kb_per_event=Decimal("0.55"),
        kinesis_stream_bytes_per_event=Decimal(520),
    )
    in_gb = Decimal(2_592_000) * Decimal("0.55") * 1024 / (1024**3)  # 1.36 GB, not 2.47
    out_gb = Decimal(2_592_000) * 520 / (1024**3)
    expected = Decimal("28.80") + in_gb * Decimal("0.08") + out_gb * Decimal("0.04")
    assert _kinesis_with(ONE_PER_SECOND, prices, packed) == expected


def test_without_measured_bytes_aggregated_records_are_priced_at_the_average_size(prices) -> None:
    # 20 events of 512 B a record: 10,240 B, 10 KB billed per record, 0.5 KB per event.
    packed = Assumptions(kinesis_records_per_event=Decimal("0.05"))
    in_gb = Decimal(2_592_000) * Decimal("0.5") * 1024 / (1024**3)
    out_gb = Decimal(2_592_000) * 512 / (1024**3)
    expected = Decimal("28.80") + in_gb * Decimal("0.08") + out_gb * Decimal("0.04")
    assert _kinesis_with(ONE_PER_SECOND, prices, packed) == expected


def test_provisioned_aggregated_records_need_fewer_shards_and_put_units(prices) -> None:
    busy = Workload(
        events_per_day=86_400_000,
        event_bytes=512,
        stream_mode="provisioned",
        stream_retention_hours=24,
        kinesis_compression=False,
    )
    packed = Assumptions(
        kinesis_records_per_event=Decimal("0.05"), kinesis_put_units_per_event=Decimal("0.05")
    )
    # 3000 events/s: 150 records/s -> 1 shard (records), 1.5 MB/s -> 2 (bytes): 2 shards.
    # 2 x 720 h x 0.015 = 21.60; 129,600,000 PUT units / 1e6 x 0.014 = 1.8144.
    assert _kinesis_with(busy, prices, packed) == Decimal("23.4144")

    compressed = replace(busy, kinesis_compression=True)
    smaller = replace(
        packed,
        kinesis_compressed_bytes_per_byte=Decimal("0.25"),
        kinesis_compressed_put_units_per_event=Decimal("0.04"),
    )
    # 0.375 MB/s -> 1 shard (bytes), 150 records/s -> 1: 720 x 0.015 = 10.80;
    # 103,680,000 PUT units / 1e6 x 0.014 = 1.45152.
    assert _kinesis_with(compressed, prices, smaller) == Decimal("12.25152")


def test_compressed_records_bill_the_measured_compressed_kb_and_their_share_of_the_bytes(
    prices,
) -> None:
    measured = Assumptions(
        kinesis_records_per_event=Decimal("0.05"),
        kinesis_billed_kb_per_event=Decimal("0.55"),
        kinesis_stream_bytes_per_event=Decimal(520),
        kinesis_compressed_bytes_per_byte=Decimal("0.25"),
        kinesis_compressed_billed_kb_per_event=Decimal("0.2"),
    )
    in_gb = Decimal(2_592_000) * Decimal("0.2") * 1024 / (1024**3)
    out_gb = Decimal(2_592_000) * 130 / (1024**3)  # a quarter of the 520 bytes
    expected = Decimal("28.80") + in_gb * Decimal("0.08") + out_gb * Decimal("0.04")
    compressed = replace(ONE_PER_SECOND, kinesis_compression=True)
    assert _kinesis_with(compressed, prices, measured) == expected
    assert _kinesis_with(ONE_PER_SECOND, prices, measured) > expected


def test_without_measured_compressed_kb_records_are_priced_at_the_average_compressed_size(
    prices,
) -> None:
    # 20 events of 512 B a record, a quarter of that compressed: 2,560 B, 3 KB billed per
    # record, 0.15 KB per event.
    assumptions = Assumptions(
        kinesis_records_per_event=Decimal("0.05"),
        kinesis_compressed_bytes_per_byte=Decimal("0.25"),
    )
    in_gb = Decimal(2_592_000) * Decimal("0.15") * 1024 / (1024**3)
    out_gb = Decimal(2_592_000) * 128 / (1024**3)
    expected = Decimal("28.80") + in_gb * Decimal("0.08") + out_gb * Decimal("0.04")
    compressed = replace(ONE_PER_SECOND, kinesis_compression=True)
    assert _kinesis_with(compressed, prices, assumptions) == expected


def test_sqs_bills_send_receive_delete_in_batches_of_ten_plus_idle_polls(prices) -> None:
    on_sqs = Workload(**{**ONE_PER_SECOND.__dict__, "sink": "sqs"})
    # polls: 5 x 86,400 / 20 x 30 = 648,000; 259,200 batches x 3 calls = 777,600 -> 1,425,600.
    assert _item(on_sqs, prices, "SQS") == Decimal("0.57024")
    assert _item(ONE_PER_SECOND, prices, "SQS") == Decimal("0.2592")


def test_lambda_bills_invocations_and_gb_seconds(prices) -> None:
    # 86,400 invocations a day (one per 1 s window) x 30 = 2,592,000: 0.5184 for requests;
    # 150.2 ms x 1 GB each = 389,318.4 GB-s x 0.00001 = 3.893184.
    assert _item(ONE_PER_SECOND, prices, "Lambda") == Decimal("4.411584")


def test_a_longer_batching_window_means_fewer_invocations_and_small_files(prices) -> None:
    windowed = Workload(**{**ONE_PER_SECOND.__dict__, "batching_window_seconds": Decimal(10)})
    # 8,640 windows a day of 10 events each: 259,200 invocations a month -> 0.05184 requests;
    # 152 ms each = 39,398.4 GB-s x 0.00001 = 0.393984.
    assert _item(windowed, prices, "Lambda") == Decimal("0.445824")


def _athena(
    workload: Workload, prices: PriceList, bytes_per_event: int, id_bytes: int = 0
) -> Decimal:
    """The Athena line with `bytes_per_event` of bronze since T and `id_bytes` of gold's event
    ids per event of history (0: no anti-join read, the bronze part alone); no reconciliation
    lookback read (tested on its own)."""
    assumptions = Assumptions(
        bronze_bytes_scanned_per_event=Decimal(bytes_per_event),
        gold_event_id_bytes_per_event=Decimal(id_bytes),
        reconciliation_gold_bytes_per_event=Decimal(0),
    )
    (item,) = [i for i in estimate(workload, prices, assumptions).items if i.component == "Athena"]
    return item.monthly


def test_athena_bills_at_least_10_mb_per_query(prices) -> None:
    # half a day of bronze since T is 43,200 events x 64 B = 2,764,800 B < 10 MB.
    # 7200 queries x 10,485,760 B = 0.06866455078125 TB x 5.
    assert _athena(ONE_PER_SECOND, prices, 64) == Decimal("0.34332275390625")


def test_athena_prices_each_query_over_the_events_since_t_of_an_average_refresh(prices) -> None:
    busy = Workload(**{**ONE_PER_SECOND.__dict__, "events_per_day": 2 * 1024**2})
    # on average half a day since T: 1,048,576 events x 64 B = 64 MiB a query;
    # 7200 queries x 64 MiB = 0.439453125 TiB x 5.
    assert _athena(busy, prices, 64) == Decimal("2.197265625")
    assert _athena(busy, prices, 128) == 2 * _athena(busy, prices, 64)
    late = Assumptions(
        bronze_bytes_scanned_per_event=Decimal(64),
        athena_day_share_since_t=Decimal(1),
        gold_event_id_bytes_per_event=Decimal(0),
        reconciliation_gold_bytes_per_event=Decimal(0),
    )
    (item,) = [i for i in estimate(busy, prices, late).items if i.component == "Athena"]
    assert item.monthly == 2 * _athena(busy, prices, 64)


def test_each_real_time_query_also_reads_gold_s_sales_over_the_dedup_window(prices) -> None:
    every_day = Workload(**{**ONE_PER_SECOND.__dict__, "realtime_dedup_days": 0})
    # without a window the anti-join reads 86,400 events x 10 days x 12 B = 10,368,000 B of
    # gold ids, plus half a day of bronze, 43,200 x 64 B = 2,764,800 B: 13,132,800 B a query,
    # above the minimum; 7200 queries x 5 per TiB.
    expected = Decimal(7200 * 13_132_800) / Decimal(1024**4) * 5
    assert _athena(every_day, prices, 64, id_bytes=12) == expected
    longer = Workload(**{**every_day.__dict__, "retention_days": 20})
    doubled = Decimal(7200 * (2 * 10_368_000 + 2_764_800)) / Decimal(1024**4) * 5
    assert _athena(longer, prices, 64, id_bytes=12) == doubled
    # a window of 8 days reads those and T's date: 9 x 86,400 x 12 B = 9,331,200 B, whatever
    # the history; one longer than the history reads it all.
    window = Workload(**{**longer.__dict__, "realtime_dedup_days": 8})
    windowed = Decimal(7200 * (9_331_200 + 2_764_800)) / Decimal(1024**4) * 5
    assert _athena(window, prices, 64, id_bytes=12) == windowed
    beyond = Workload(**{**every_day.__dict__, "realtime_dedup_days": 30})
    assert _athena(beyond, prices, 64, id_bytes=12) == expected
    item = _athena_item(window, prices, Assumptions(gold_event_id_bytes_per_event=Decimal(12)))
    assert "gold's sales for its lookup of gold" in item.basis
    assert "9 days of gold" in item.basis


MEASURED_SCAN = Assumptions(
    athena_bytes_scanned_per_event=Decimal(64),
    athena_realtime_queries_per_refresh=Decimal(4),
    athena_other_queries_per_refresh=Decimal(2),
    gold_event_id_bytes_per_event=Decimal(0),
    reconciliation_gold_bytes_per_event=Decimal(0),
)
"""A refresh as `bench.athena_scan` measures one: four queries reading 64 B per event together
(16 B each), two more over reference tables only; no gold read (the anti-join's and the
reconciliation panel's are tested
on its own above)."""


def test_each_serving_task_reads_the_reconciliation_panel_s_gold_days_twice_a_day(prices) -> None:
    lookback = Assumptions(
        bronze_bytes_scanned_per_event=Decimal(64),
        gold_event_id_bytes_per_event=Decimal(0),
        reconciliation_gold_bytes_per_event=Decimal(30),
    )
    busy = Workload(**{**ONE_PER_SECOND.__dict__, "events_per_day": 2 * 1024**2})
    # a refresh's query over half a day since T, 1,048,576 x 64 B = 64 MiB; the panel's 7 days
    # but today (real-time), 6 x 2,097,152 x 30 B = 360 MiB, read after each publication and
    # each midnight, 30 days x 2 = 60 times: (7200 x 64 + 60 x 360) MiB x 5 per TiB.
    item = _athena_item(busy, prices, lookback)
    assert item.monthly == Decimal(7200 * 64 + 60 * 360) / 1024**2 * 5
    assert "60 reads of the reconciliation panel's 6 gold days" in item.basis
    shorter = Workload(**{**busy.__dict__, "reconciliation_lookback_days": 2})
    # 1 x 2,097,152 x 30 B = 60 MiB.
    assert _athena_item(shorter, prices, lookback).monthly == (
        Decimal(7200 * 64 + 60 * 60) / 1024**2 * 5
    )
    # each serving task keeps its own
    three = Workload(**{**busy.__dict__, "serving_tasks": 3})
    assert _athena_item(three, prices, lookback).monthly == (
        Decimal(7200 * 64 + 180 * 360) / 1024**2 * 5
    )
    # never more days than the history kept (ONE_PER_SECOND keeps 10)
    longer = Workload(**{**busy.__dict__, "reconciliation_lookback_days": 30})
    eleven = Workload(**{**busy.__dict__, "reconciliation_lookback_days": 11})
    assert _athena_item(longer, prices, lookback) == _athena_item(eleven, prices, lookback)


def _athena_item(workload: Workload, prices: PriceList, assumptions: Assumptions) -> LineItem:
    (item,) = [i for i in estimate(workload, prices, assumptions).items if i.component == "Athena"]
    return item


def test_a_measured_refresh_bills_each_of_its_queries_what_it_reads_or_10_mb(prices) -> None:
    busy = Workload(**{**ONE_PER_SECOND.__dict__, "events_per_day": 2 * 1024**2})
    # each real-time query reads half a day since T, 1,048,576 x 16 B = 16 MiB, the other two
    # 10 MiB each:
    # 7200 refreshes x 84 MiB = 0.5767822265625 TiB x 5.
    item = _athena_item(busy, prices, MEASURED_SCAN)
    assert item.monthly == Decimal("2.8839111328125")
    assert "measured on Trino" in item.basis
    assert "4 queries" in item.basis
    # a quiet day: 43,200 x 16 B = 0.7 MiB a query, so all six pay 10 MiB each.
    assert _athena_item(ONE_PER_SECOND, prices, MEASURED_SCAN).monthly == Decimal("2.0599365234375")


def test_without_a_measured_scan_a_refresh_is_one_query_over_the_whole_files(prices) -> None:
    no_lookback = Assumptions(reconciliation_gold_bytes_per_event=Decimal(0))
    item = _athena_item(ONE_PER_SECOND, prices, no_lookback)
    assert "whole files" in item.basis
    assert "measured on Trino" not in item.basis
    assert item.monthly == _athena(ONE_PER_SECOND, prices, 79, id_bytes=12)


def test_emr_serverless_runs_incrementally_and_rebuilds_weekly(prices) -> None:
    # bronze 11,059,200 B a day (10 days kept); a month of 30 runs: 30/7 full rebuilds reading
    # all 10 days, the other 180/7 reading a new day and the 10 days late events reach (capped
    # at the history) plus the ids index (864,000 entries x 20 B): vCPU-h = 30/7 x (1 + 0.5 x
    # 10d) + 180/7 x (1 + 0.5 x (11d + index)) = 31.8842901..., each at 0.05 + 4 GB x 0.005.
    day = Fraction(11_059_200, 1024**3)
    index = Fraction(86_400 * 10 * 20, 1024**3)
    vcpu_hours = Fraction(30, 7) * (1 + day * 10 / 2) + Fraction(180, 7) * (
        1 + (day * 11 + index) / 2
    )
    expected = vcpu_hours * Fraction(7, 100)
    got = _item(ONE_PER_SECOND, prices, "EMR Serverless")
    assert abs(Fraction(got) - expected) < Fraction(1, 10**12)
    assert Decimal("2.231") < got < Decimal("2.232")


def test_time_ordered_ids_make_a_run_read_the_index_of_the_days_they_reach_only(prices) -> None:
    # A year kept: the index is 86,400 x 365 entries x 20 B. With random ids each of the 180/7
    # incremental runs reads all of it; with time-ordered ones the 31 days its ids reach.
    year = Workload(**{**ONE_PER_SECOND.__dict__, "retention_days": 365})
    random_ids = Workload(**{**year.__dict__, "event_ids": "random"})
    index = Fraction(86_400 * 365 * 20, 1024**3)
    unread = Fraction(180, 7) * index * Fraction(365 - 31, 365) / 2 * Fraction(7, 100)
    saved = _item(random_ids, prices, "EMR Serverless") - _item(year, prices, "EMR Serverless")
    assert abs(Fraction(saved) - unread) < Fraction(1, 10**12)
    measured = Assumptions(event_id_index_days_read=Decimal(365))
    assert _item(year, prices, "EMR Serverless", measured) == _item(
        random_ids, prices, "EMR Serverless"
    )


def test_fargate_keeps_two_api_tasks_a_serving_task_and_compacts_every_ten_minutes(
    prices,
) -> None:
    # 2 x 0.25 vCPU x 720 h = 360 vCPU-h, 2 x 0.5 GB x 720 = 720 GB-h; compaction 144 x 2 min x
    # 30 = 144 h x (1 vCPU, 4 GB); one serving task forwarding to Athena, 0.5 vCPU and 2 GB x 720
    # h: 864 x 0.04 + 2736 x 0.004 = 34.56 + 10.944.
    assert _item(ONE_PER_SECOND, prices, "ECS Fargate") == Decimal("45.504")


def test_a_dashboard_query_reads_the_files_since_the_last_compaction_and_one_an_hour(
    prices,
) -> None:
    # 86,400 files a day (one per 1 s window): 600 since the last of 144 runs, + the open hour's
    # merged file + 24 closed hours = 625 files x 3 GETs x 7,200 queries = 13,500,000; + the
    # 2,592,000 landed files compaction reads + 24 x 10 hour files x 3 GETs x 30 nightly runs.
    (s3,) = [i for i in estimate(ONE_PER_SECOND, prices).items if i.component == "S3"]
    assert f"{2_592_000 + 24 * 10 * 3 * 30 + 625 * 3 * 7_200} GET" in s3.basis


def test_storage_holds_bronze_two_full_copies_of_silver_and_gold_and_the_kept_rewrites(
    prices,
) -> None:
    stored = Assumptions(
        parquet_bytes_per_event_byte=Decimal("0.125"),
        silver_bytes_per_event=Decimal(100),
        gold_bytes_per_event=Decimal(200),
        affected_days_per_run=Decimal(5),
    )
    # 864,000 events of history (10 days of 86,400): bronze 64 B each = 0.0515 GB; silver
    # 0.0805 GB a copy, 2 full (a rebuild every 2 days, 2 kept states) + 2 kept / 10 days = 2.2
    # copies; gold 0.1609 GB a copy, 2 + 2 kept x 5 / 10 days rewritten = 3 copies.
    every_other_day = replace(ONE_PER_SECOND, full_rebuild_every_days=2)
    gb = Decimal(1024**3)
    bronze, silver, gold = (Decimal(864_000) * size / gb for size in (64, 100, 200))
    expected = bronze + silver * Decimal("2.2") + gold * 3
    (s3,) = [i for i in estimate(every_other_day, prices, stored).items if i.component == "S3"]
    assert f"{expected:.1f} GB stored" in s3.basis
    assert "2.20 copies of 0.1 silver and 3.00 of 0.2 gold" in s3.basis
    no_gold = replace(stored, gold_bytes_per_event=Decimal(0))
    (without_gold,) = [
        i for i in estimate(every_other_day, prices, no_gold).items if i.component == "S3"
    ]
    assert s3.monthly - without_gold.monthly == gold * 3 * Decimal("0.023")

    # a full rebuild every 7 days: the one before is kept 2 of 7 days, 1 + 2/7 full copies
    (weekly,) = [i for i in estimate(ONE_PER_SECOND, prices, stored).items if i.component == "S3"]
    assert "1.49 copies of 0.1 silver and 2.29 of 0.2 gold" in weekly.basis


@pytest.mark.parametrize(
    ("every_days", "shares"),
    [
        (7, (1, 0, 0)),
        (60, (Fraction(1, 2), Fraction(1, 2), 0)),
        (0, (Fraction(30, 365), Fraction(60, 365), Fraction(275, 365))),
    ],
    ids=["weekly rebuilds", "every 60 days", "no full rebuilds"],
)
def test_bronze_in_intelligent_tiering_is_billed_by_the_days_since_a_rebuild_read_it(
    prices, every_days: int, shares: tuple[Fraction, Fraction, Fraction]
) -> None:
    year = replace(ONE_PER_SECOND, retention_days=365, full_rebuild_every_days=every_days)
    tiered = replace(year, bronze_intelligent_tiering=True)
    (standard,) = [i for i in estimate(year, prices).items if i.component == "S3"]
    (s3,) = [i for i in estimate(tiered, prices).items if i.component == "S3"]
    bronze_gb = Decimal(86_400 * 365 * 512) * Decimal("0.25") / (1024**3)
    frequent, infrequent, archive = (Decimal(s.numerator) / s.denominator for s in shares)
    saving = bronze_gb * (
        infrequent * (Decimal("0.023") - Decimal("0.0125"))
        + archive * (Decimal("0.023") - Decimal("0.004"))
    )
    monitoring = Decimal(24 * 365) / 1000 * Decimal("0.0025")  # one compacted file an hour
    assert s3.monthly - standard.monthly == pytest.approx(monitoring - saving, abs=Decimal("1e-20"))
    assert f"bronze {frequent:.0%} frequent, {infrequent:.0%} infrequent" in s3.basis


def test_the_total_is_the_sum_of_the_components_and_shown_in_cents(prices) -> None:
    result = estimate(ONE_PER_SECOND, prices)
    assert {i.component for i in result.items} >= {
        "Kinesis",
        "SQS",
        "Lambda",
        "S3",
        "Athena",
        "EMR Serverless",
        "ECS Fargate",
    }
    assert result.total == sum(item.monthly for item in result.items)
    assert all(isinstance(item.monthly, Decimal) for item in result.items)
    assert cents(Decimal("29.0471923828125")) == Decimal("29.05")


def test_more_events_never_cost_less() -> None:
    prices = load_prices()
    totals = [estimate(Workload(events_per_day=n), prices).total for n in (10**4, 10**6, 10**8)]
    assert totals == sorted(totals)
    assert totals[0] < totals[-1]


def test_a_workload_that_makes_no_sense_is_refused_with_every_reason() -> None:
    with pytest.raises(ValueError, match=r"events_per_day must be positive.*batch_size"):
        Workload(events_per_day=0, batch_size=0)


def test_the_bundled_price_file_is_dated_sourced_and_complete() -> None:
    prices = load_prices()
    assert prices.region == "us-east-1"
    assert prices.as_of
    services = {"kinesis", "sqs", "lambda", "s3", "athena", "emr_serverless", "fargate"}
    assert services <= set(prices.sources)
    assert all(url.startswith("https://aws.amazon.com/") for url in prices.sources.values())
    assert prices("athena", "minimum_bytes_per_query") == Decimal(10 * 1024 * 1024)
    estimate(Workload(events_per_day=1000), prices)


def test_a_price_written_as_a_float_or_missing_is_refused() -> None:
    document = {**TEST_PRICES, "s3": {**TEST_PRICES["s3"], "standard_gb_month": 0.023}}
    with pytest.raises(PriceFileError, match=r"s3\.standard_gb_month must be a decimal string"):
        PriceList.from_document(document)
    without_athena = {k: v for k, v in TEST_PRICES.items() if k != "athena"}
    with pytest.raises(PriceFileError, match=r"price athena\.\w+ is missing"):
        estimate(ONE_PER_SECOND, PriceList.from_document(without_athena))


SERVED_BY_DUCKDB = Workload(
    **{**ONE_PER_SECOND.__dict__, "serving_engine": "duckdb", "serving_refresh_seconds": 10}
)
HELD = Assumptions(
    serving_bytes_per_realtime_event=Decimal(10_000),
    serving_bytes_per_gold_sale=Decimal(2_000),
    serving_base_gb=Decimal("0.75"),
)
"""A DuckDB serving task's memory per event as `bench.realtime` measures it (round figures)."""


def test_with_duckdb_serving_no_dashboard_query_reaches_athena(prices) -> None:
    item = _athena_item(SERVED_BY_DUCKDB, prices, HELD)
    assert item.monthly == 0
    assert "no dashboard query reaches Athena" in item.basis


def test_a_duckdb_serving_task_is_sized_for_a_day_since_t_and_the_window_s_gold_sales(
    prices,
) -> None:
    # its database: a day since T, 86,400 x 10,000 B = 864,000,000 B, and gold's sales of the
    # window (3 days and T's date), 4 x 86,400 x 2,000 B = 691,200,000 B: 1.448 GB cached on top
    # of 0.75 GB, so Fargate's 0.5 vCPU with 3 GB; the file holds the side twice at a rebuild,
    # 2.25 GB, within the 20 GB included. With the API and compaction tasks:
    # 864 vCPU-h x 0.04 + (720 + 576 + 2160) GB-h x 0.004 = 34.56 + 13.824.
    fargate = _item(SERVED_BY_DUCKDB, prices, "ECS Fargate", HELD)
    assert fargate == Decimal("48.384")
    (item,) = [
        i for i in estimate(SERVED_BY_DUCKDB, prices, HELD).items if i.component == "ECS Fargate"
    ]
    assert "1 duckdb serving task(s) of 0.5 vCPU and 3 GB (its database 1.4 GB" in item.basis
    # a longer window holds more gold: all 10 days kept, 10 x 86,400 x 2,000 B = 1,728,000,000 B;
    # 0.75 + (864,000,000 + 1,728,000,000) / 1024^3 = 3.16 GB: 0.5 vCPU with 4 GB.
    longer = Workload(**{**SERVED_BY_DUCKDB.__dict__, "realtime_dedup_days": 10})
    (item,) = [i for i in estimate(longer, prices, HELD).items if i.component == "ECS Fargate"]
    assert "of 0.5 vCPU and 4 GB (its database 2.4 GB, 4.0 GB of storage" in item.basis


def test_a_duckdb_serving_task_pays_for_storage_beyond_the_included_20_gb(prices) -> None:
    # gold's sales at 50,000 B each: 4 x 86,400 x 50,000 B = 16.09 GB, with the side 16.90 GB
    # cached on 0.75 GB: 17.65 GB, so 4 vCPU with 18 GB; the file holds gold twice at a
    # publication, 32.99 GB, so 13 GB of storage beyond the 20 included, x 720 h x 0.0001.
    # (360 + 144 + 2880) vCPU-h x 0.04 + (720 + 576 + 12960) GB-h x 0.004 + 0.936.
    large = Assumptions(
        serving_bytes_per_realtime_event=Decimal(10_000),
        serving_bytes_per_gold_sale=Decimal(50_000),
        serving_base_gb=Decimal("0.75"),
    )
    assert _item(SERVED_BY_DUCKDB, prices, "ECS Fargate", large) == Decimal("193.320")


def test_a_duckdb_serving_task_too_large_for_fargate_names_what_to_change(prices) -> None:
    heavy = Assumptions(serving_bytes_per_realtime_event=Decimal(2 * 1024**2))
    with pytest.raises(ValueError, match=r"would need \d+ GB.*realtime_dedup_days.*athena"):
        estimate(SERVED_BY_DUCKDB, prices, heavy)


def test_duckdb_serving_pays_the_requests_of_each_refresh_merge_and_dashboard_refresh(
    prices,
) -> None:
    # 259,200 refreshes (every 10 s), each merging what landed since the last (a file lands
    # every second, so every refresh merges); 7,200 dashboard refreshes. On top of the 2,592,000
    # landed files, 4,320 compaction runs and 600 nightly writes, PUT-class: 2 LISTs a refresh
    # (518,400) and 15 a dashboard refresh (108,000). GETs: the nightly and compaction reads as
    # on Athena (2,613,600), 5 a refresh (1,296,000), 12 more a merge (3,110,400) and 51 a
    # dashboard refresh (367,200): the request counts `bench.serving_s3` measures by default.
    (s3,) = [i for i in estimate(SERVED_BY_DUCKDB, prices, HELD).items if i.component == "S3"]
    assert "3223320 PUT, 7387200 GET" in s3.basis
    quiet = Workload(**{**SERVED_BY_DUCKDB.__dict__, "batching_window_seconds": Decimal(60)})
    # a file a minute: 43,200 merges instead of 259,200, 12 GETs each.
    (s3,) = [i for i in estimate(quiet, prices, HELD).items if i.component == "S3"]
    assert f"{7387200 - (2592000 - 43200) - (259200 - 43200) * 12} GET" in s3.basis
