"""Every process logs JSON lines to stderr, with the `extra` fields and the request id."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from contract.structured_logging import SAMPLED, SampleFilter, configure_logging, request_id_var


@pytest.fixture
def restored_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restored_root_logger")
def test_records_become_one_json_object_a_line_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("warning")
    token = request_id_var.set("req-1")
    try:
        logging.getLogger("salesflow.test").info("not at warning level")
        logging.getLogger("salesflow.test").warning("batch landed", extra={"records": 3})
    finally:
        request_id_var.reset(token)
    (line,) = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert {k: entry[k] for k in ("level", "logger", "msg", "request_id", "records")} == {
        "level": "warning",
        "logger": "salesflow.test",
        "msg": "batch landed",
        "request_id": "req-1",
        "records": 3,
    }


@pytest.mark.usefixtures("restored_root_logger", "machine_in_sao_paulo")
def test_a_line_holds_a_utc_stamp_the_extra_fields_only_and_the_exception(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging()
    try:
        raise RuntimeError("disk full")
    except RuntimeError:
        logging.getLogger("salesflow.test").exception(
            "write failed", extra={"at": datetime(2026, 11, 21, tzinfo=UTC), "_private": 1}
        )
    (line,) = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert set(entry) == {"ts", "level", "logger", "msg", "at", "exc"}
    assert entry["at"] == "2026-11-21 00:00:00+00:00"
    assert datetime.fromisoformat(entry["ts"]).utcoffset() == UTC.utcoffset(None)
    assert entry["exc"].startswith("Traceback")
    assert "RuntimeError: disk full" in entry["exc"]


def test_only_the_marked_info_lines_are_sampled() -> None:
    """A refused request's line is kept at the sample rate; other lines and warnings always."""
    draws = iter([0.2, 0.7])
    keep_half = SampleFilter(0.5, draw=lambda: next(draws))

    def record(level: int, **extra: object) -> logging.LogRecord:
        made = logging.LogRecord("t", level, __file__, 1, "refused", None, None)
        made.__dict__.update(extra)
        return made

    assert keep_half.filter(record(logging.INFO, **{SAMPLED: True}))
    assert not keep_half.filter(record(logging.INFO, **{SAMPLED: True}))
    assert keep_half.filter(record(logging.INFO))
    assert keep_half.filter(record(logging.WARNING, **{SAMPLED: True}))
    assert not SampleFilter(0.0).filter(record(logging.INFO, **{SAMPLED: True}))
    assert SampleFilter(1.0).filter(record(logging.INFO, **{SAMPLED: True}))
