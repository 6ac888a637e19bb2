"""The content digest: equal for the copies an export or a resend makes of one sale, different
for any change of what was sold (ADR 0021)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from batch_layer.csv_format import UPLOAD_COLUMNS, upload_rows
from contract.content_digest import CONTENT_DIGEST, content_digest
from contract.event import SaleEvent


def _event(payload: dict[str, Any]) -> SaleEvent:
    return SaleEvent.model_validate(payload, strict=False)


@pytest.fixture
def sale(make_event: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_event()


def test_what_an_export_drops_or_reorders_leaves_the_digest_alone(sale: dict[str, Any]) -> None:
    exported = {
        **sale,
        "occurred_at": "2026-11-21T16:45:12Z",
        "items": [{**item, "discount": item.get("discount", "0")} for item in sale["items"][::-1]],
        "total": None,
        "terminal_id": "T-9",
        "attributes": {"campaign": "black-friday"},
        "channel": "ecommerce",
        "customer_id": None,
    }
    assert content_digest(_event(exported)) == content_digest(_event(sale))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event_type", "return"),
        ("store_id", "RJ-BARRA-01"),
        ("occurred_at", "2026-11-21T13:45:13.345-03:00"),
        ("unit_price", "4599.91"),
        ("quantity", 2),
        ("discount", "99.99"),
        ("sku", "NB-DELL-I7-32"),
    ],
)
def test_any_change_of_what_was_sold_changes_the_digest(
    sale: dict[str, Any], field: str, value: Any
) -> None:
    changed = {**sale, "items": [dict(item) for item in sale["items"]], "total": None}
    if field in ("unit_price", "quantity", "discount", "sku"):
        changed["items"][0][field] = value
    else:
        changed[field] = value
    assert content_digest(_event(changed)) != content_digest(_event(sale))


def test_a_repeated_line_is_not_the_same_as_one_line(sale: dict[str, Any]) -> None:
    once = {**sale, "items": sale["items"][:1], "total": None}
    twice = {**sale, "items": sale["items"][:1] * 2, "total": None}
    assert content_digest(_event(once)) != content_digest(_event(twice))


def test_every_upload_row_of_an_event_carries_its_digest(sale: dict[str, Any]) -> None:
    event = _event(sale)
    rows = upload_rows(event, ("2026-11-21T17:00:00+00:00", "legacy-erp"))
    column = UPLOAD_COLUMNS.index(CONTENT_DIGEST)
    assert [int(row[column]) for row in rows] == [content_digest(event)] * len(event.items)
