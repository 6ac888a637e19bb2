"""CSV text builders for the loader tests."""

from __future__ import annotations

from batch_layer.csv_format import CSV_COLUMNS

HEADER = ",".join(CSV_COLUMNS)


def row(event_id: str = "EV-0000001", **values: str) -> str:
    defaults = {
        "event_id": event_id,
        "event_type": "sale",
        "occurred_at": "2026-11-21T13:45:12-03:00",
        "channel": "pos",
        "store_id": "SP-PAULISTA-01",
        "order_id": "PDV7-000123",
        "customer_id": "C-000042",
        "currency": "BRL",
        "payment_method": "pix",
        "sku": "NB-DELL-I5-16",
        "quantity": "1",
        "unit_price": "4599.90",
        "discount": "100",
    }
    return ",".join((defaults | values)[name] for name in CSV_COLUMNS)


def csv_text(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"
