"""The two example exports through their mappings, and what real exports get wrong."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from batch_layer.csv_mapping import read_mapping
from batch_layer.csv_reading import read_export
from batch_layer.errors import CsvEncodingError, CsvHeaderError, ScatteredEventError
from tests.unit.batch_layer.csv_samples import Loaded, load_text

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
ERP_EXPORT = EXAMPLES / "exports" / "erp_pdv_vendas_2026-11.csv"
WEB_EXPORT = EXAMPLES / "exports" / "webshop_orders_2026-11.csv"
ERP = read_mapping(EXAMPLES / "mappings" / "erp_pdv.toml")
WEB = read_mapping(EXAMPLES / "mappings" / "webshop_orders.toml")


LOADED_AT = datetime(2026, 12, 1, tzinfo=UTC)
"""After the examples' last sale (30/11/2026), so none is in the future of its upload."""


def load(lake: Path, data: bytes | str, **options: Any) -> Loaded:
    return load_text(lake, data, uploaded_at=LOADED_AT, **options)


def erp_lines() -> list[str]:
    return ERP_EXPORT.read_bytes().decode("latin-1").splitlines(keepends=True)


def brazilian(amount: str) -> Decimal:
    return Decimal(amount.replace(".", "").replace(",", "."))


def test_the_erp_export_loads_whole_with_its_codes_numbers_and_times(tmp_path):
    loaded = load(tmp_path / "lake", ERP_EXPORT.read_bytes(), name=ERP_EXPORT.name, mapping=ERP)
    source = list(csv.DictReader(io.StringIO("".join(erp_lines()), newline=""), delimiter=";"))
    assert loaded.rejected == []
    assert len(loaded.accepted) == len(source) == 20
    stores = ERP.fields["store_id"].values or {}
    for row, line in zip(loaded.accepted, source, strict=True):
        day, month, rest = line["DATA_HORA"].split("/")
        assert row["occurred_at"] == f"{rest[:4]}-{month}-{day}T{rest[5:]}-03:00"
        assert row["store_id"] == stores[line["COD_LOJA"]]
        assert row["event_type"] == {"V": "sale", "D": "return"}[line["TIPO_MOV"]]
        assert row["order_id"] == line["CHAVE_NFCE"]
        assert (row["sku"], row["customer_id"]) == (line["COD_PRODUTO"], line["COD_CLIENTE"])
        assert Decimal(row["unit_price"]) == brazilian(line["VL_UNITARIO"])
        assert Decimal(row["discount"]) == brazilian(line["VL_DESCONTO"])
        assert int(row["quantity"]) == brazilian(line["QTDE"])
        assert (row["channel"], row["currency"]) == ("pos", "BRL")
        assert row["source"] == "csv:erp-lojas-pdv/erp_pdv_vendas_2026-11.csv"
    lines_per_event: dict[str, int] = defaultdict(int)
    for row in loaded.accepted:
        lines_per_event[row["event_id"]] += 1
    orders = {line["CHAVE_NFCE"] for line in source}
    assert len(lines_per_event) == len(orders) == 13
    assert sorted(lines_per_event.values()) == [1] * 7 + [2] * 5 + [3]


def test_the_web_export_loads_whole_with_offsets_kept_and_constants_filled(tmp_path):
    loaded = load(tmp_path / "lake", WEB_EXPORT.read_bytes(), name=WEB_EXPORT.name, mapping=WEB)
    source = list(csv.DictReader(io.StringIO(WEB_EXPORT.read_text(), newline="")))
    assert loaded.rejected == []
    assert len(loaded.accepted) == len(source) == 12
    assert {(r["channel"], r["store_id"]) for r in loaded.accepted} == {("ecommerce", "WEB-01")}
    refund = next(r for r in loaded.accepted if r["event_type"] == "return")
    assert (refund["order_id"], refund["sku"], refund["quantity"]) == (
        "100232",
        "RAM-KINGSTON-D4-16",
        "1",
    )
    utc = next(r for r in loaded.accepted if r["order_id"] == "100232")
    assert utc["occurred_at"] == "2026-11-21T01:05:33+00:00"
    assert len({r["event_id"] for r in loaded.accepted}) == 7, "6 orders and a refund"


@pytest.mark.parametrize(
    ("export", "mapping"), [(ERP_EXPORT, ERP), (WEB_EXPORT, WEB)], ids=["erp", "web"]
)
def test_an_export_loaded_twice_or_overlapping_counts_each_sale_once(tmp_path, export, mapping):
    lake = tmp_path / "lake"
    first = load(lake, export.read_bytes(), name=export.name, mapping=mapping)
    again = load(lake, export.read_bytes(), name=f"copy of {export.name}", mapping=mapping)
    assert again.result.already_loaded
    assert again.accepted == first.accepted, "nothing new was written"

    encoding = mapping.encoding
    lines = export.read_bytes().decode(encoding).splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    overlapping = "".join([header, *body[len(body) // 2 :], *body[: len(body) // 2]])
    later = load(lake, overlapping.encode(encoding), name="next-month.csv", mapping=mapping)
    assert not later.result.already_loaded
    assert later.rejected == []

    def content(rows: list[dict[str, str]]) -> dict[str, list[tuple[str, ...]]]:
        events: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for row in rows:
            events[row["event_id"]].append((row["order_id"], row["sku"], row["unit_price"]))
        return {event_id: sorted(lines) for event_id, lines in events.items()}

    assert content(later.accepted) == content(first.accepted), (
        "the same sales get the same event ids from another file: the batch keeps one copy"
    )


def test_bad_rows_are_named_by_file_line_and_source_column(tmp_path):
    lines = erp_lines()
    lines[2] = lines[2].replace(";75,90;", ";75.90;")  # second line of the first receipt
    lines[3] = lines[3].replace(";V;", ";X;")
    lines[4] = lines[4].replace(";002;", ";099;")
    loaded = load(tmp_path / "lake", "".join(lines).encode("latin-1"), mapping=ERP)
    reasons = {row["file_line"]: row["reason"] for row in loaded.rejected}
    assert set(reasons) == {"2", "3", "4", "5", "6", "7"}
    assert reasons["2"] == reasons["3"], "an order is held back whole"
    assert "file line 3, column VL_UNITARIO: '75.90' is not a number like 1.234,56" in reasons["3"]
    assert reasons["4"] == (
        "file line 4, column TIPO_MOV: 'X' is not listed in [values.event_type] (D, V)"
    )
    assert "file line 5, column COD_LOJA: '099' is not listed in [values.store_id]" in reasons["7"]
    quarantined = next(row for row in loaded.rejected if row["file_line"] == "3")
    assert quarantined["VL_UNITARIO"] == "75.90", "the source row is kept as it was"
    assert quarantined["NOME_CLIENTE"] == "MARIA JOSÉ DA SILVA"
    assert len(loaded.accepted) == 20 - 6


def test_a_contract_rule_names_the_source_column_too(tmp_path):
    lines = erp_lines()
    lines[1] = lines[1].replace(";150,00;", ";9.150,00;")
    loaded = load(tmp_path / "lake", "".join(lines).encode("latin-1"), mapping=ERP)
    (reason,) = {row["reason"] for row in loaded.rejected}
    assert "breaks the contract: file line 2: Value error, discount 9150.00 exceeds" in reason


def test_a_utf8_export_may_start_with_a_byte_order_mark(tmp_path):
    plain = load(tmp_path / "a", WEB_EXPORT.read_bytes(), mapping=WEB)
    marked = load(tmp_path / "b", b"\xef\xbb\xbf" + WEB_EXPORT.read_bytes(), mapping=WEB)
    assert [r["event_id"] for r in marked.accepted] == [r["event_id"] for r in plain.accepted]


def test_an_export_in_another_encoding_is_refused_with_its_line(tmp_path):
    latin = WEB_EXPORT.read_text().encode("latin-1")
    with pytest.raises(
        CsvEncodingError, match=r"file line 4 is not utf-8 text .* at byte 101 of the line"
    ):
        load(tmp_path / "lake", latin, mapping=WEB)


def test_a_header_without_a_mapped_column_is_refused(tmp_path):
    text = WEB_EXPORT.read_text().replace("payment_gateway", "gateway", 1)
    with pytest.raises(
        CsvHeaderError, match=r"no column 'payment_gateway' \(columns.payment_method"
    ):
        load(tmp_path / "lake", text, mapping=WEB)


def _receipts(count: int, lines_each: int = 2) -> list[str]:
    """ERP rows of `count` receipts, from the first example receipt with new numbers."""
    template = erp_lines()[1]
    key = template.split(";")[5]
    rows = []
    for receipt in range(count):
        new_key = f"{key[:-12]}{receipt:012d}"
        for line in range(lines_each):
            rows.append(
                template.replace(key, new_key).replace("NB-DELL-I5-16", f"NB-DELL-I5-16-{line}")
            )
    return rows


def test_a_large_export_is_written_in_parts_and_every_row_is_kept(tmp_path):
    rows = _receipts(6000)
    loaded = load(
        tmp_path / "lake",
        "".join([erp_lines()[0], *rows]).encode("latin-1"),
        mapping=ERP,
        part_rows=1000,
    )
    assert loaded.rejected == []
    assert loaded.result.accepted == 12_000
    assert len(loaded.result.upload_parts) == 12
    assert len(loaded.accepted) == 12_000
    assert len({r["event_id"] for r in loaded.accepted}) == 6000


def test_rows_of_an_order_far_apart_stop_the_load_before_anything_is_published(tmp_path):
    rows = _receipts(3000, lines_each=1)
    scattered = [*rows[:5], rows[0]]  # receipt 0 again, just after its event was closed
    text = "".join([erp_lines()[0], *scattered]).encode("latin-1")
    narrow = ERP.__class__(**{**ERP.__dict__, "max_open_events": 3})
    with pytest.raises(
        ScatteredEventError, match=r"file line 7 belongs to event .* began at file line 2"
    ):
        load(tmp_path / "lake", text, mapping=narrow)
    assert not (tmp_path / "lake" / "bronze" / "csv_uploads").exists()
    assert load(tmp_path / "lake", text, mapping=ERP).result.accepted == 6


def test_scattered_rows_beyond_the_recent_window_are_caught_at_the_end(tmp_path):
    rows = _receipts(3000, lines_each=1)
    scattered = [*rows[:50], rows[0]]
    text = "".join([erp_lines()[0], *scattered]).encode("latin-1")
    narrow = ERP.__class__(**{**ERP.__dict__, "max_open_events": 3})
    with pytest.raises(ScatteredEventError, match=r"file lines 2 and 52 start two runs"):
        load(tmp_path / "lake", text, mapping=narrow)
    assert not (tmp_path / "lake" / "bronze" / "csv_uploads").exists()


def test_an_event_with_more_lines_than_the_contract_allows_is_held_back_as_it_is_read(tmp_path):
    rows = _receipts(1, lines_each=502) + _receipts(2, lines_each=1)[1:]
    loaded = load(
        tmp_path / "lake", "".join([erp_lines()[0], *rows]).encode("latin-1"), mapping=ERP
    )
    assert len(loaded.rejected) == 502
    assert all("has more than 500 lines" in r["reason"] for r in loaded.rejected)
    assert len(loaded.accepted) == 1


def test_reading_an_export_counts_lines_as_an_editor_does():
    data = b'a;b\r\n1;"two\r\nlines"\r\n\r\n3;4\r\n'
    export = read_export(io.BytesIO(data), encoding="utf-8", delimiter=";")
    assert export.header == ["a", "b"]
    assert [(row.file_line, row.fields) for row in export.rows] == [
        (3, ["1", "two\r\nlines"]),
        (5, ["3", "4"]),
    ]
