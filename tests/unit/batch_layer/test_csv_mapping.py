"""Mapping files: the examples parse, and a bad mapping is refused naming the TOML key at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch_layer.csv_mapping import FieldSource, parse_mapping, read_mapping
from batch_layer.errors import MappingError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "mappings"

MINIMAL = """
source_system = "erp"
timestamp_format = "%d/%m/%Y %H:%M"
time_zone = "America/Sao_Paulo"
[columns]
order_id = "PEDIDO"
event_type = "TIPO"
occurred_at = "DATA"
channel = { constant = "pos" }
store_id = "LOJA"
currency = { constant = "BRL" }
payment_method = "PAGTO"
sku = "PRODUTO"
quantity = "QTD"
unit_price = "PRECO"
[values.event_type]
V = "sale"
"""


def test_the_example_mappings_parse():
    erp = read_mapping(EXAMPLES / "erp_pdv.toml")
    assert (erp.name, erp.encoding, erp.delimiter) == ("erp_pdv", "iso8859-1", ";")
    assert erp.time_zone is not None
    assert erp.time_zone.key == "America/Sao_Paulo"
    assert erp.fields["event_type"].values == {"V": "sale", "D": "return"}
    assert erp.fields["channel"] == FieldSource(column=None, constant="pos")
    web = read_mapping(EXAMPLES / "webshop_orders.toml")
    assert web.fields["store_id"].constant == "WEB-01"
    assert web.time_zone is None
    assert len(erp.sha256) == 64
    assert erp.sha256 != web.sha256


def test_a_minimal_mapping_gets_the_defaults():
    mapping = parse_mapping(MINIMAL.encode(), "minimal")
    assert (mapping.decimal_separator, mapping.thousands_separator) == (".", "")
    assert mapping.max_open_events == 1000
    assert "discount" not in mapping.fields
    assert "customer_id" not in mapping.fields
    assert mapping.label("unit_price") == "column PRECO (unit_price)"
    assert mapping.label("channel") == "constant channel"


def _with(old: str, new: str) -> bytes:
    assert old in MINIMAL
    return MINIMAL.replace(old, new).encode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_with('unit_price = "PRECO"\n', ""), "columns.unit_price: required, but missing"),
        (_with('sku = "PRODUTO"', 'skus = "PRODUTO"'), "columns.skus: not a mapping key"),
        (_with('source_system = "erp"', 'source_system = "my erp"'), "source_system: String"),
        (_with('source_system = "erp"\n', ""), "source_system: required"),
        (_with('time_zone = "America/Sao_Paulo"', 'time_zone = "Brazil/Somewhere"'), "time_zone:"),
        (_with('time_zone = "America/Sao_Paulo"\n', ""), "time_zone: required, because"),
        (_with("%d/%m/%Y %H:%M", "%Q"), "timestamp_format: '%Q' is not a strptime format"),
        (
            _with('source_system = "erp"', 'source_system = "erp"\nencoding = "klingon"'),
            "encoding:",
        ),
        (_with('source_system = "erp"', 'source_system = "erp"\nencoding = "utf-16"'), "encoding:"),
        (_with('source_system = "erp"', 'source_system = "x"\ndelimiter = ";;"'), "delimiter:"),
        (
            _with('source_system = "erp"', 'source_system = "erp"\ndecimal_separator = ";"'),
            "decimal_separator: Input should be '.' or ','",
        ),
        (
            _with('source_system = "erp"', 'source_system = "x"\nthousands_separator = "."'),
            "thousands_separator: must differ from decimal_separator",
        ),
        (
            _with('channel = { constant = "pos" }', 'channel = { constant = "web" }'),
            "columns.channel: constant 'web' is not one of pos, ecommerce",
        ),
        (
            _with('occurred_at = "DATA"', 'occurred_at = { constant = "2026-01-01" }'),
            "columns.occurred_at: must name a source column",
        ),
        (
            _with('store_id = "LOJA"', "store_id = { column = 'LOJA', constant = 'X' }"),
            "columns.store_id: give either a column name",
        ),
        (
            _with('currency = { constant = "BRL" }', 'currency = { constant = "real" }'),
            "columns.currency: constant 'real' is not an ISO 4217 code",
        ),
        (_with('V = "sale"', 'V = "venda"'), "values.event_type.V: Input should be 'sale'"),
        (
            _with('[values.event_type]\nV = "sale"', '[values.channel]\nloja = "pos"'),
            "values.channel: a value map needs columns.channel to name a column",
        ),
        (_with("[values.event_type]", "[values.quantity]"), "values.quantity: not a mapping key"),
        (b"source_system = 'erp'\n[columns\n", "not a valid UTF-8 TOML file"),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_key(text: bytes, message: str):
    with pytest.raises(MappingError) as error:
        parse_mapping(text, "bad")
    assert str(error.value).startswith("mapping bad: ")
    assert message in str(error.value)


def test_a_mapping_name_must_be_usable_as_a_landing_folder():
    with pytest.raises(MappingError, match="mapping name"):
        parse_mapping(MINIMAL.encode(), "no spaces please")


def test_a_missing_mapping_file_is_a_mapping_error(tmp_path):
    with pytest.raises(MappingError, match="cannot be read"):
        read_mapping(tmp_path / "nope.toml")
