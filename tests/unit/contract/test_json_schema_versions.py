"""Published schema versions are ordered as versions, not as text: 1.10 comes after 1.9."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract import json_schema


def test_versions_sort_by_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for version in ("1.10", "1", "1.9", "2"):
        (tmp_path / f"sale_event.v{version}.schema.json").write_text("{}")
    (tmp_path / "bronze.schema.json").write_text("{}")
    monkeypatch.setattr(json_schema, "SCHEMAS_DIR", tmp_path)
    assert json_schema.published_versions() == ["1", "1.9", "1.10", "2"]
