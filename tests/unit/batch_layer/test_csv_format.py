"""Files in the contract's own CSV format (an `event_id` column, the contract's notation)."""

from __future__ import annotations

import pytest

from batch_layer.csv_format import source_name
from batch_layer.errors import CsvHeaderError
from tests.unit.batch_layer.csv_samples import HEADER, csv_text, load_text, row


def test_rows_of_one_event_are_accepted_normalised_and_stamped(tmp_path):
    loaded = load_text(
        tmp_path / "lake",
        csv_text(row(), row(sku="MOUSE-LOGI-M170", quantity="2", unit_price="79.9", discount="")),
    )
    assert loaded.rejected == []
    first, second = loaded.accepted
    assert first["discount"] == "100.00"
    assert (second["unit_price"], second["discount"]) == ("79.90", "0.00")
    assert second["occurred_at"] == "2026-11-21T13:45:12-03:00"
    assert second["ingested_at"] == "2026-11-22T12:00:00+00:00"
    assert second["source"] == "csv:test.csv"


def test_an_invalid_line_rejects_every_row_of_its_event_with_the_reason(tmp_path):
    loaded = load_text(
        tmp_path / "lake",
        csv_text(row(), row(sku="MOUSE", discount="99999.00"), row("EV-0000002")),
    )
    assert [r["event_id"] for r in loaded.accepted] == ["EV-0000002"]
    assert [r["file_line"] for r in loaded.rejected] == ["2", "3"]
    reason = loaded.rejected[0]["reason"]
    assert "file line 3: Value error, discount 99999.00 exceeds the line value" in reason


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"quantity": "1.5"}, "file line 2, column quantity: Input should be a valid integer"),
        ({"quantity": "0"}, "column quantity: Input should be greater than 0"),
        ({"unit_price": "-3"}, "column unit_price: Value error, money must be >= 0"),
        ({"unit_price": "1.999"}, "column unit_price: Value error, money must be a plain decimal"),
        ({"currency": "real"}, "file line 2, column currency: String should match pattern"),
        ({"channel": "phone"}, "column channel: Input should be 'pos' or 'ecommerce'"),
        ({"occurred_at": "2026-11-21 13:45"}, "column occurred_at: Input should have timezone"),
        ({"occurred_at": "2026-11-23T13:45:00Z"}, "more than 5 minutes in the future"),
        ({"event_type": "refund"}, "column event_type: Input should be 'sale' or 'return'"),
    ],
)
def test_contract_violations_are_quarantined_with_a_specific_reason(tmp_path, values, expected):
    loaded = load_text(tmp_path / "lake", csv_text(row(**values)))
    assert loaded.accepted == []
    (rejected,) = loaded.rejected
    assert expected in rejected["reason"]


def test_rows_of_one_event_must_agree_on_the_event_columns(tmp_path):
    loaded = load_text(
        tmp_path / "lake", csv_text(row(), row(store_id="RJ-BARRA-01", payment_method="cash"))
    )
    assert loaded.accepted == []
    assert {item["reason"] for item in loaded.rejected} == {
        "rows of event 'EV-0000001' (file lines 2, 3) disagree on payment_method, store_id; "
        "every row of an event must repeat its event columns"
    }


def test_a_row_with_the_wrong_number_of_fields_is_rejected_alone(tmp_path):
    loaded = load_text(tmp_path / "lake", csv_text(row(), row("EV-0000002") + ",extra"))
    assert [r["event_id"] for r in loaded.accepted] == ["EV-0000001"]
    (rejected,) = loaded.rejected
    assert rejected["reason"] == "file line 3: row has 14 fields, the header has 13"
    assert rejected["event_id"] == "EV-0000002", "the row's own values are kept"


def test_empty_customer_becomes_null_and_columns_may_come_in_any_order(tmp_path):
    columns = HEADER.split(",")
    reordered = list(reversed(columns))
    values = dict(zip(columns, row(customer_id="").split(","), strict=True))
    text = ",".join(reordered) + "\n" + ",".join(values[c] for c in reordered) + "\n"
    (accepted,) = load_text(tmp_path / "lake", text).accepted
    assert accepted["customer_id"] == ""
    assert accepted["sku"] == "NB-DELL-I5-16"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        ("event_id,sku\n", "missing: ['event_type'"),
        (HEADER + ",colour\n", "unexpected or repeated: ['colour']"),
    ],
)
def test_a_wrong_header_rejects_the_file(tmp_path, text, expected):
    with pytest.raises(CsvHeaderError) as error:
        load_text(tmp_path / "lake", text)
    assert expected in str(error.value)
    assert not (tmp_path / "lake" / "bronze" / "csv_uploads").exists()


def test_source_names_are_valid_identifiers():
    assert source_name("vendas novembro (final).csv") == "csv:vendas_novembro__final_.csv"
    assert len(source_name("x" * 200)) == 64
