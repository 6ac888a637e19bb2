"""The cost model's inputs taken from what the benchmarks measured (devstack/cost/inputs.py)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from devstack.cost import Assumptions
from devstack.cost.inputs import (
    EVENT_BYTES,
    STREAM_BYTES_INPUTS,
    assumed_inputs,
    assumptions_with,
    measured_inputs,
)
from salesflow.cli import main

AT = "2026-12-06T18:00:00+00:00"


def _results(folder: Path, name: str, figures: dict[str, float]) -> None:
    rows = [{"metric": metric, "value": value, "at": AT} for metric, value in figures.items()]
    (folder / f"{name}.json").write_text(json.dumps(rows))


def test_benchmark_figures_replace_the_assumptions_they_measure(tmp_path) -> None:
    _results(
        tmp_path,
        "cost_inputs",
        {
            "event bytes, one event per record": 500.0,
            "stream records per event": 0.04,
            "stream billed KB per event": 0.52,
            "stream PUT payload units per event": 0.04,
            "stream bytes per event": 510.0,
            "ingest API log bytes per request": 0.0,
            "speed layer log bytes per landed batch": 180.0,
            "an unrelated figure": 1.0,
        },
    )
    _results(tmp_path, "freshness", {"bronze bytes per event, hours compacted": 75.0})
    measured = measured_inputs(tmp_path)
    assert measured[EVENT_BYTES].value == Decimal(500)
    assumptions = assumptions_with(measured)
    assert assumptions.kinesis_records_per_event == Decimal("0.04")
    assert assumptions.kinesis_billed_kb_per_event == Decimal("0.52")
    assert assumptions.kinesis_put_units_per_event == Decimal("0.04")
    assert assumptions.kinesis_stream_bytes_per_event == Decimal(510)
    assert assumptions.log_bytes_per_api_request == Decimal(0)
    assert assumptions.log_bytes_per_invocation == Decimal(180)
    assert assumptions.bronze_bytes_scanned_per_event == Decimal(75)
    assert assumptions.parquet_bytes_per_event_byte == Decimal("0.15")
    assert assumptions.gold_bytes_per_event == Assumptions().gold_bytes_per_event
    assert "log_bytes_per_api_request" not in assumed_inputs(measured)
    assert "gold_bytes_per_event" in assumed_inputs(measured)
    assert measured["parquet_bytes_per_event_byte"].source.benchmark == "freshness"


def test_compressed_records_and_the_stored_history_are_priced_from_their_benchmarks(tmp_path):
    _results(
        tmp_path,
        "cost_inputs",
        {
            "stream bytes compressed per byte uncompressed": 0.26,
            "stream billed KB per event, compressed": 0.22,
            "stream PUT payload units per event, compressed": 0.15,
        },
    )
    _results(
        tmp_path,
        "batch_incremental",
        {"silver_bytes_per_event_365_days": 80.5, "gold_bytes_per_event_365_days": 140.25},
    )
    assumptions = assumptions_with(measured_inputs(tmp_path))
    assert assumptions.kinesis_compressed_bytes_per_byte == Decimal("0.26")
    assert assumptions.kinesis_compressed_billed_kb_per_event == Decimal("0.22")
    assert assumptions.kinesis_compressed_put_units_per_event == Decimal("0.15")
    assert assumptions.silver_bytes_per_event == Decimal("80.5")
    assert assumptions.gold_bytes_per_event == Decimal("140.25")


def test_the_scan_measured_on_trino_prices_athena_and_its_absence_keeps_the_whole_files(
    tmp_path,
) -> None:
    _results(tmp_path, "freshness", {"bronze bytes per event, hours compacted": 66.0})
    without = assumptions_with(measured_inputs(tmp_path))
    assert without.athena_bytes_scanned_per_event is None  # the model then reads whole files
    assert without.bronze_bytes_scanned_per_event == Decimal(66)
    assert without.athena_realtime_queries_per_refresh == Decimal(1)
    assert without.athena_other_queries_per_refresh == Decimal(0)
    assert without.gold_event_id_bytes_per_event == Assumptions().gold_event_id_bytes_per_event

    _results(
        tmp_path,
        "athena_scan",
        {
            "real-time queries: bytes scanned per event since T": 120.5,
            "dashboard refresh: queries over the real-time side": 11.0,
            "dashboard refresh: other queries": 5.0,
            "anti-join: gold bytes read per query per event of history": 25.5,
        },
    )
    measured = measured_inputs(tmp_path)
    assumptions = assumptions_with(measured)
    assert assumptions.athena_bytes_scanned_per_event == Decimal("120.5")
    assert assumptions.athena_realtime_queries_per_refresh == Decimal(11)
    assert assumptions.athena_other_queries_per_refresh == Decimal(5)
    assert assumptions.bronze_bytes_scanned_per_event == Decimal(66)
    assert measured["athena_bytes_scanned_per_event"].source.benchmark == "athena_scan"
    assert "athena_bytes_scanned_per_event" not in assumed_inputs(measured)
    # the anti-join's read of gold is measured apart from the nightly run's id index, which
    # stays assumed: the two are different files
    assert assumptions.gold_event_id_bytes_per_event == Decimal("25.5")
    assert (
        assumptions.event_id_index_bytes_per_event == Assumptions().event_id_index_bytes_per_event
    )
    assert measured["gold_event_id_bytes_per_event"].source.benchmark == "athena_scan"
    assert "event_id_index_bytes_per_event" in assumed_inputs(measured)


def test_without_results_every_input_stays_assumed(tmp_path) -> None:
    measured = measured_inputs(tmp_path)
    assert measured == {}
    assert assumptions_with(measured) == Assumptions()
    assert len(assumed_inputs(measured)) == len(Assumptions.__dataclass_fields__)


def test_the_cli_says_which_inputs_are_measured_and_an_explicit_size_wins(capsys) -> None:
    assert main(["cost", "--events-per-day", "1M", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    measured = {item["input"]: item for item in document["inputs"]["measured"]}
    assert measured[EVENT_BYTES]["benchmark"] == "python -m bench.cost_inputs"
    assert document["workload"]["event_bytes"] == str(
        round(Decimal(measured[EVENT_BYTES]["value"]))
    )
    assert "spark_vcpu_hours_per_input_gb" in document["inputs"]["assumed"]

    assert main(["cost", "--events-per-day", "1M", "--event-bytes", "900", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["workload"]["event_bytes"] == "900"
    replaced = {EVENT_BYTES, *STREAM_BYTES_INPUTS}
    assert replaced.isdisjoint(item["input"] for item in document["inputs"]["measured"])
    assert "kinesis_records_per_event" in {i["input"] for i in document["inputs"]["measured"]}
