"""The report store's edges: stores whose ids need encoding, stray files, the machine's zone."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from contract.lake_io import LakeFiles
from contract.reconciliation import ReportStore
from contract.settings import Settings
from tests.unit.contract.test_reconciliation_report import RECEIVED, parse, report

DAY = date(2026, 11, 21)


@pytest.fixture
def files(tmp_path: Path) -> LakeFiles:
    return LakeFiles.open(str(tmp_path / "lake"), Settings(lake_uri=str(tmp_path / "lake")))


def test_a_store_whose_id_holds_a_slash_is_found_by_that_id(files: LakeFiles) -> None:
    store = ReportStore(files)
    store.save(
        parse(report(store_id="SP/PAULISTA", terminal_id=None)), received_at=RECEIVED, source="pos"
    )
    (found,) = store.in_force([DAY], store_id="SP/PAULISTA")
    assert found.stored.report.store_id == "SP/PAULISTA"


def test_files_beside_the_versions_are_not_reports(files: LakeFiles) -> None:
    store = ReportStore(files)
    saved = store.save(parse(report()), received_at=RECEIVED, source="pos")
    folder = saved.in_force.path.rpartition("/")[0]
    files.write_bytes(f"{folder}/notes.txt", b"not a report")
    (found,) = ReportStore(files).in_force([DAY])
    assert (found.versions, found.stored.path) == (1, saved.in_force.path)


@pytest.mark.usefixtures("machine_in_sao_paulo")
def test_a_version_is_named_and_stamped_in_utc_whatever_the_machines_zone(
    files: LakeFiles,
) -> None:
    saved = ReportStore(files).save(parse(report()), received_at=RECEIVED, source="pos")
    assert saved.in_force.path.rpartition("/")[2].startswith("20261122T031500000000Z-")
    assert saved.in_force.received_at.utcoffset() == RECEIVED.utcoffset()


def test_reading_a_missing_version_names_it(files: LakeFiles) -> None:
    with pytest.raises(FileNotFoundError, match=r"no reconciliation report at .*/gone\.json$"):
        ReportStore(files).read("reconciliation/gone.json")
