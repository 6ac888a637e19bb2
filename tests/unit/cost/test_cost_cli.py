"""`salesflow cost` through the real CLI dispatcher."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from salesflow.cli import main


def test_json_output_has_every_component_and_a_total_in_decimal_strings(capsys) -> None:
    assert main(["cost", "--events-per-day", "1M", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    components = {c["component"]: Decimal(c["monthly"]) for c in document["components"]}
    assert {"Kinesis", "SQS", "Lambda", "S3", "Athena", "EMR Serverless", "ECS Fargate"} <= set(
        components
    )
    # the total is the exact sum rounded once; each component is rounded on its own
    rounding = Decimal("0.005") * len(components)
    assert abs(Decimal(document["total_monthly"]) - sum(components.values())) <= rounding
    assert document["workload"]["events_per_day"] == "1000000"
    assert document["region"] == "us-east-1"
    assert document["prices_as_of"]


def test_the_table_lists_components_and_the_total(capsys) -> None:
    assert main(["cost", "--events-per-day", "10k", "--sink", "sqs"]) == 0
    out = capsys.readouterr().out
    assert "10,000 events/day" in out
    for component in ("Kinesis", "SQS", "Lambda", "S3", "Athena", "EMR Serverless", "Total"):
        assert component in out


@pytest.mark.parametrize("value", ["lots", "-5", "1.5"])
def test_a_bad_event_count_is_refused_with_what_to_type(capsys, value) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["cost", "--events-per-day", value])
    assert exit_info.value.code == 2
    assert "--events-per-day" in capsys.readouterr().err


def test_a_broken_price_file_is_named_in_the_error(tmp_path, capsys) -> None:
    broken = tmp_path / "prices.json"
    broken.write_text(json.dumps({"as_of": "2026-01-01"}))
    assert main(["cost", "--prices", str(broken)]) == 2
    assert "invalid price file" in capsys.readouterr().err


def _monthly(capsys, component: str, *extra: str) -> Decimal:
    assert main(["cost", "--events-per-day", "1M", "--format", "json", *extra]) == 0
    document = json.loads(capsys.readouterr().out)
    (item,) = [c for c in document["components"] if c["component"] == component]
    return Decimal(item["monthly"])


def _athena_monthly(capsys, *extra: str) -> Decimal:
    return _monthly(capsys, "Athena", *extra)


def test_random_event_ids_make_every_nightly_run_read_the_whole_index(capsys) -> None:
    time_ordered = _monthly(capsys, "EMR Serverless")
    assert _monthly(capsys, "EMR Serverless", "--event-ids", "time-ordered") == time_ordered
    assert _monthly(capsys, "EMR Serverless", "--event-ids", "random") > time_ordered


def test_the_dedup_window_bounds_athena_and_0_looks_up_every_gold_day(capsys) -> None:
    on_athena = ("--serving-engine", "athena")
    default = _athena_monthly(capsys, *on_athena)
    assert _athena_monthly(capsys, *on_athena, "--realtime-dedup-days", "3") == default
    every_day = _athena_monthly(capsys, *on_athena, "--realtime-dedup-days", "0")
    assert every_day > 10 * default
    thirty = _athena_monthly(capsys, *on_athena, "--realtime-dedup-days", "30")
    assert default < thirty < every_day


def test_a_duckdb_serving_task_too_large_for_fargate_is_refused_with_what_to_change(
    capsys,
) -> None:
    every_day = ["--events-per-day", "100M", "--realtime-dedup-days", "0"]
    assert main(["cost", *every_day]) == 2
    error = capsys.readouterr().err
    assert "invalid workload" in error
    assert "realtime_dedup_days" in error
    assert "serving_engine athena" in error
    assert main(["cost", *every_day, "--serving-engine", "athena"]) == 0


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_a_bad_dedup_window_is_refused_naming_the_option(capsys, value) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["cost", "--realtime-dedup-days", value])
    assert exit_info.value.code == 2
    assert "--realtime-dedup-days" in capsys.readouterr().err
