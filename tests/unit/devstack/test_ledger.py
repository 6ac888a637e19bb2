from __future__ import annotations

import json
from dataclasses import asdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from contract.gold import METRIC_DEFINITIONS
from devstack.simulator.events import DUPLICATE_POOL_SIZE
from devstack.simulator.ledger import ACKNOWLEDGED_ID_WINDOW, Ledger, Metrics

CATEGORIES = {"NB-DELL-I5-16": "Notebooks", "MOUSE-LOGI-M170": "Periféricos"}
UNIT_COSTS = {"NB-DELL-I5-16": Decimal("3800.00")}


def _ledger() -> Ledger:
    return Ledger(
        category_of=CATEGORIES,
        reporting_zone=ZoneInfo("America/Sao_Paulo"),
        unit_cost_of=UNIT_COSTS,
    )


def test_ledger_metrics_are_the_gold_metric_definitions():
    assert set(asdict(Metrics())) == set(METRIC_DEFINITIONS)


def test_sale_and_return_follow_the_metric_definitions(make_event):
    ledger = _ledger()
    sale = make_event("sale")
    ret = make_event("return", occurred_at="2026-11-22T10:02:00-03:00")
    assert ledger.record_acknowledged(sale)
    assert ledger.record_acknowledged(ret)

    sale_day = ledger.by_day["2026-11-21"].as_json()
    assert sale_day == {
        "net_revenue": "4659.70",
        "gross_revenue": "4759.70",
        "discount": "100.00",
        "units": 3,
        "orders": 1,
        "returns": 0,
        "cost": "3800.00",
        "margin": "699.90",
        "costed_net_revenue": "4499.90",
    }
    return_day = ledger.by_day["2026-11-22"].as_json()
    assert return_day == {
        "net_revenue": "-79.90",
        "gross_revenue": "-79.90",
        "discount": "0.00",
        "units": -1,
        "orders": 0,
        "returns": 1,
        "cost": None,
        "margin": None,
        "costed_net_revenue": "0.00",
    }
    assert str(ledger.totals.net_revenue) == "4579.80"


def test_an_event_id_counts_once_however_often_it_is_acknowledged(make_event):
    ledger = _ledger()
    sale = make_event("sale")
    assert ledger.record_acknowledged(sale)
    assert not ledger.record_acknowledged(sale)
    assert ledger.stats.acknowledged == 1
    assert ledger.totals.orders == 1
    assert str(ledger.totals.net_revenue) == "4659.70"


def test_day_is_taken_in_the_reporting_time_zone(make_event):
    ledger = _ledger()
    ledger.record_acknowledged(make_event("sale", occurred_at="2026-11-22T01:30:00Z", total=None))
    assert list(ledger.by_day) == ["2026-11-21"]


def test_category_counts_an_order_once_per_category(make_event):
    ledger = _ledger()
    event = make_event("sale")
    event["items"].append({"sku": "MOUSE-LOGI-M170", "quantity": 1, "unit_price": "10.00"})
    event["total"] = "4669.70"
    ledger.record_acknowledged(event)
    categories = ledger.by_day_group["category"]
    assert categories[("2026-11-21", "Periféricos")].orders == 1
    assert categories[("2026-11-21", "Periféricos")].units == 3
    assert categories[("2026-11-21", "Notebooks")].orders == 1
    assert ledger.by_day_group["store_id"][("2026-11-21", "SP-PAULISTA-01")].orders == 1


def test_unconfirmed_then_acknowledged_is_no_longer_unconfirmed(make_event):
    ledger = _ledger()
    sale = make_event("sale")
    ledger.record_unconfirmed([sale["event_id"]])
    assert ledger.unconfirmed_ids == {sale["event_id"]}
    ledger.record_acknowledged(sale)
    assert not ledger.unconfirmed_ids


def test_ledger_file_is_json_with_money_as_strings(tmp_path, make_event):
    ledger = _ledger()
    sale = make_event("sale")
    ledger.record_acknowledged(sale)
    path = tmp_path / "ledger.json"
    ledger.write(path)
    written = json.loads(path.read_text())
    assert written["acknowledged_event_ids"] == [sale["event_id"]]
    assert written["by_day_and"]["store_id"]["2026-11-21"]["SP-PAULISTA-01"]["net_revenue"] == (
        "4659.70"
    )
    assert written["stats"]["acknowledged"] == 1
    assert list(tmp_path.iterdir()) == [path]


def test_the_ledger_keeps_a_bounded_window_of_ids_and_still_counts_each_event_once(make_event):
    ledger = _ledger()
    ledger.id_window = 3
    sales = [make_event("sale") for _ in range(5)]
    assert all(ledger.record_acknowledged(sale) for sale in sales)
    assert ledger.acknowledged_ids == {sale["event_id"] for sale in sales[-3:]}
    assert not ledger.record_acknowledged(sales[-1])
    assert ledger.stats.acknowledged == 5
    assert ledger.totals.as_json()["orders"] == 5


def test_the_window_outlasts_every_resend_the_simulator_makes():
    """Duplicates repeat one of the last DUPLICATE_POOL_SIZE acknowledged events; retries and
    lost events resend events not yet acknowledged. A smaller window would count a duplicate
    twice."""
    assert DUPLICATE_POOL_SIZE * 10 <= ACKNOWLEDGED_ID_WINDOW
