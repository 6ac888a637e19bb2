"""Row conversion: numbers, times and codes in the export's notation, and derived event ids."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from batch_layer.csv_mapping import ExportMapping, parse_mapping
from batch_layer.csv_reading import SourceRow
from batch_layer.csv_rows import NAMESPACE, RowConverter, _numeric_reader, uuid5

HEADER = ["pedido", "tipo", "quando", "loja", "sku", "qtd", "preco", "desconto", "pagto"]


def mapping(*, extra: str = "", order: bool = True, system: str = "erp") -> ExportMapping:
    text = f"""
source_system = "{system}"
{extra}
[columns]
{'order_id = "pedido"' if order else ""}
event_type = "tipo"
occurred_at = "quando"
channel = {{ constant = "pos" }}
store_id = "loja"
currency = {{ constant = "BRL" }}
payment_method = "pagto"
sku = "sku"
quantity = "qtd"
unit_price = "preco"
discount = "desconto"
[values.event_type]
V = "sale"
D = "return"
"""
    return parse_mapping(text.encode(), "test")


BRAZILIAN = """decimal_separator = ","
thousands_separator = "."
timestamp_format = "%d/%m/%Y %H:%M:%S"
time_zone = "America/Sao_Paulo"
"""


def convert(converter: RowConverter, line: int = 2, **values: str):
    defaults = {
        "pedido": "P-1",
        "tipo": "V",
        "quando": "27/11/2026 14:03:11",
        "loja": "SP-PAULISTA-01",
        "sku": "NB-DELL-I5-16",
        "qtd": "1",
        "preco": "4.729,90",
        "desconto": "0,00",
        "pagto": "pix",
    }
    fields = [(defaults | values)[name] for name in HEADER]
    return converter.convert(SourceRow(line, fields))


@pytest.fixture
def brazilian() -> RowConverter:
    return RowConverter(mapping(extra=BRAZILIAN), HEADER)


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("4.729,90", "4729.90"),
        ("1.234.567,5", "1234567.5"),
        ("75,90", "75.90"),
        ("12", "12"),
        ("4729,900", "4729.90"),
        ("0,00", "0.00"),
        ("-3,00", "-3.00"),
    ],
)
def test_decimal_commas_and_thousands_points_become_plain_decimals(brazilian, price, expected):
    row = convert(brazilian, preco=price)
    assert row.problems == []
    assert row.values["unit_price"] == expected


@pytest.mark.parametrize("price", ["79.90", "1,234.56", "4.72,90", "R$ 10,00", "1.2345"])
def test_a_number_in_another_notation_is_a_problem_naming_the_column(brazilian, price):
    row = convert(brazilian, preco=price)
    assert row.problems == [("column preco", f"{price!r} is not a number like 1.234,56")]
    assert row.event_id is not None, "the row still belongs to its order, which it will hold back"


@pytest.mark.parametrize(("quantity", "expected"), [("3,000", "3"), ("2", "2"), ("1.000", "1000")])
def test_quantities_may_carry_zero_decimals(brazilian, quantity, expected):
    assert convert(brazilian, qtd=quantity).values["quantity"] == expected


def test_a_fractional_quantity_is_a_problem(brazilian):
    row = convert(brazilian, qtd="1,500")
    assert row.problems == [("column qtd", "'1,500' is not a whole number of units")]


def test_naive_times_are_wall_clock_times_of_the_mapping_zone(brazilian):
    assert convert(brazilian).values["occurred_at"] == "2026-11-27T14:03:11-03:00"


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2026-01-15 12:00:00", "2026-01-15T12:00:00-05:00"),
        ("2026-07-15 12:00:00", "2026-07-15T12:00:00-04:00"),
        ("2026-03-08 01:59:59", "2026-03-08T01:59:59-05:00"),
        ("2026-03-08 03:00:00", "2026-03-08T03:00:00-04:00"),
        ("2026-11-01 01:30:00", "2026-11-01T01:30:00-04:00"),
        ("2026-11-01 02:30:00", "2026-11-01T02:30:00-05:00"),
    ],
)
def test_naive_times_follow_daylight_saving_in_a_dst_zone(local, expected):
    new_york = RowConverter(
        mapping(extra='timestamp_format = "%Y-%m-%d %H:%M:%S"\ntime_zone = "America/New_York"'),
        HEADER,
    )
    row = convert(new_york, quando=local, preco="10.00", desconto="")
    assert row.problems == []
    assert row.values["occurred_at"] == expected


def test_a_time_the_clocks_skipped_is_a_problem():
    new_york = RowConverter(
        mapping(extra='timestamp_format = "%Y-%m-%d %H:%M:%S"\ntime_zone = "America/New_York"'),
        HEADER,
    )
    row = convert(new_york, quando="2026-03-08 02:30:00", preco="10.00", desconto="")
    ((where, reason),) = row.problems
    assert where == "column quando"
    assert "never happened in America/New_York" in reason
    assert row.event_id is None, "without its time a row cannot be placed in an event"


def test_iso_times_keep_their_offset_and_naive_ones_need_a_zone():
    iso = RowConverter(mapping(), HEADER)
    row = convert(iso, quando="2026-11-27T14:03:11Z", preco="10.00", desconto="")
    assert row.values["occurred_at"] == "2026-11-27T14:03:11+00:00"
    naive = convert(iso, quando="2026-11-27T14:03:11", preco="10.00", desconto="")
    assert naive.problems == [
        (
            "column quando",
            "'2026-11-27T14:03:11' has no UTC offset, and the mapping names no time_zone",
        )
    ]
    garbled = convert(iso, quando="27/11/2026", preco="10.00", desconto="")
    assert garbled.problems == [
        ("column quando", "'27/11/2026' is not a time like an ISO 8601 time")
    ]


def test_codes_go_through_the_value_map_and_unknown_codes_are_named(brazilian):
    assert convert(brazilian, tipo="D").values["event_type"] == "return"
    row = convert(brazilian, tipo="X")
    assert row.problems == [("column tipo", "'X' is not listed in [values.event_type] (D, V)")]


def test_the_same_sale_gets_the_same_id_from_any_file_and_notation():
    one = convert(RowConverter(mapping(extra=BRAZILIAN), HEADER))
    iso = RowConverter(mapping(), HEADER)
    other = convert(iso, quando="2026-11-27T17:03:11Z", preco="4729.90", desconto="")
    assert one.event_id == other.event_id
    expected_key = "erp\x1forder\x1fP-1\x1fsale\x1f2026-11-27T17:03:11+00:00"
    assert one.event_id == str(uuid.uuid5(NAMESPACE, expected_key))


def test_the_id_depends_on_the_system_order_type_and_instant():
    base = RowConverter(mapping(extra=BRAZILIAN), HEADER)
    first = convert(base)
    assert convert(base, sku="MOUSE-LOGI-M170", line=3).event_id == first.event_id
    assert convert(base, pedido="P-2").event_id != first.event_id
    assert convert(base, tipo="D").event_id != first.event_id
    assert convert(base, quando="27/11/2026 14:03:12").event_id != first.event_id
    elsewhere = RowConverter(mapping(extra=BRAZILIAN, system="other-erp"), HEADER)
    assert convert(elsewhere).event_id != first.event_id


def test_without_an_order_column_each_row_is_an_order_and_twins_are_counted():
    rows = RowConverter(mapping(extra=BRAZILIAN, order=False), HEADER)
    first, twin, other = convert(rows), convert(rows, line=3), convert(rows, sku="X", line=4)
    assert len({first.event_id, twin.event_id, other.event_id}) == 3
    assert first.values["order_id"] == first.event_id
    again = RowConverter(mapping(extra=BRAZILIAN, order=False), HEADER)
    assert [convert(again).event_id, convert(again).event_id] == [first.event_id, twin.event_id]


def test_a_row_with_the_wrong_field_count_is_placed_nowhere(brazilian):
    row = brazilian.convert(SourceRow(5, ["P-1", "V"]))
    assert (row.event_id, row.problems) == (None, [("", "row has 2 fields, the header has 9")])


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        ("%d/%m/%Y %H:%M:%S", "27/11/2026 14:03:11"),
        ("%d/%m/%Y %H:%M:%S", "1/2/2026 3:04:05"),
        ("%d/%m/%Y %H:%M:%S", "27/11/2026   14:03:11"),
        ("%Y-%m-%d %H:%M:%S.%f", "2026-11-27 14:03:11.5"),
        ("%Y%m%d%H%M%S", "20261127140311"),
        ("%d.%m.%Y", "01.12.2026"),
    ],
)
def test_the_fast_reading_of_numeric_formats_agrees_with_strptime(pattern, value):
    reader = _numeric_reader(pattern)
    assert reader is not None
    assert reader(value) == datetime.strptime(value, pattern)


@pytest.mark.parametrize("value", ["31/02/2026 10:00:00", "27/11/2026 14:03", "27/11/26 14:03:11"])
def test_the_fast_reading_refuses_what_strptime_refuses(value):
    reader = _numeric_reader("%d/%m/%Y %H:%M:%S")
    assert reader is not None
    with pytest.raises(ValueError, match=r"does not match format|unconverted data|day is out"):
        datetime.strptime(value, "%d/%m/%Y %H:%M:%S")
    with pytest.raises(ValueError, match=r"27/11|31/02|day is out of range"):
        reader(value)


def test_other_formats_are_left_to_strptime():
    assert _numeric_reader("%d %b %Y") is None
    assert _numeric_reader("%Y-%m-%dT%H:%M:%S%z") is None


def test_uuid5_is_the_standard_one():
    for name in ("", "a", "erp\x1forder\x1f123", "ção" * 50):
        assert uuid5(name) == str(uuid.uuid5(NAMESPACE, name))
