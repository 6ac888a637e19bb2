from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from batch_layer.csv_format import QUARANTINE_COLUMNS, UPLOAD_COLUMNS
from batch_layer.csv_loader import load_csv
from contract.settings import Settings
from tests.unit.batch_layer.csv_samples import csv_text, row

UPLOADED_AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def test_valid_rows_load_and_bad_rows_are_quarantined_with_the_reason(tmp_path):
    settings = Settings(lake_uri=str(tmp_path / "lake"), state_dir=tmp_path / "state")
    data = csv_text(row(), row("EV-0000002", quantity="x")).encode()
    result = load_csv("nov.csv", data, settings=settings, uploaded_at=UPLOADED_AT)
    assert (result.accepted, result.rejected, result.already_loaded) == (1, 1, False)
    uploads = list((tmp_path / "lake/bronze/csv_uploads").iterdir())
    assert [p.name for p in uploads] == [result.upload_path.rsplit("/", 1)[1]]
    (loaded,) = read_csv(uploads[0])
    assert list(loaded) == list(UPLOAD_COLUMNS)
    assert (loaded["event_id"], loaded["source"]) == ("EV-0000001", "csv:nov.csv")
    (quarantined,) = read_csv(next((tmp_path / "lake/bronze/_quarantine/csv").iterdir()))
    assert list(quarantined) == list(QUARANTINE_COLUMNS)
    assert quarantined["file_line"] == "3"
    assert quarantined["quantity"] == "x"
    assert "quantity: Input should be a valid integer" in quarantined["reason"]


def test_loading_the_same_file_twice_changes_nothing(tmp_path):
    settings = Settings(lake_uri=str(tmp_path / "lake"), state_dir=tmp_path / "state")
    data = csv_text(row()).encode()
    first = load_csv("a.csv", data, settings=settings, uploaded_at=UPLOADED_AT)
    upload = tmp_path / "lake" / first.upload_path
    content = upload.read_bytes()
    again = load_csv("renamed.csv", data, settings=settings)
    assert again.already_loaded
    assert again.upload_path == first.upload_path
    assert upload.read_bytes() == content
    assert len(list(upload.parent.iterdir())) == 1
