from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from contract.event import Channel
from contract.lake import reference_effective_file
from contract.reference import VALID_FROM_MIN, Customer, Product, Store, reference_table
from contract.settings import Settings
from devstack.catalog import CATALOG_DIR, build_catalog, write_reference
from salesflow.cli import main

EVENTS_DIR = Path(__file__).parents[2] / "events"


@pytest.fixture(scope="module")
def catalog():
    return build_catalog()


def test_same_seed_gives_the_same_catalog():
    assert build_catalog(seed=7) == build_catalog(seed=7)


def test_different_seeds_give_the_same_products_and_stores_but_other_customers():
    first, second = build_catalog(seed=1), build_catalog(seed=2)
    assert (first.products, first.stores) == (second.products, second.stores)
    assert first.customers != second.customers


def test_every_store_has_a_traffic_weight(catalog):
    assert set(catalog.traffic_weights) == {store.store_id for store in catalog.stores}
    assert all(weight > 0 for weight in catalog.traffic_weights.values())


def test_the_catalog_files_load_through_the_users_command(tmp_path):
    lake = tmp_path / "lake"
    for table in ("products", "stores"):
        assert (
            main(
                ["reference", "load", table, str(CATALOG_DIR / f"{table}.csv"), "--lake", str(lake)]
            )
            == 0
        )
    assert pq.read_table(lake / reference_effective_file("stores")).num_rows == 17


def test_sizes_are_those_of_a_mid_sized_chain(catalog):
    assert 150 <= len(catalog.products) <= 300
    assert 13 <= len(catalog.stores) <= 21
    assert len(catalog.customers) >= 2000


def test_ids_are_unique(catalog):
    for ids in (
        [p.sku for p in catalog.products],
        [s.store_id for s in catalog.stores],
        [c.customer_id for c in catalog.customers],
    ):
        assert len(ids) == len(set(ids))


def test_margins_are_between_ten_and_forty_five_percent(catalog):
    for product in catalog.products:
        assert Decimal("0") < product.unit_cost < product.list_price, product.sku
        margin = (product.list_price - product.unit_cost) / product.list_price
        assert Decimal("0.0999") <= margin <= Decimal("0.4501"), product.sku


def test_money_has_two_decimals_and_shelf_endings(catalog):
    for product in catalog.products:
        assert product.list_price.as_tuple().exponent == -2
        assert product.unit_cost.as_tuple().exponent == -2
        assert str(product.list_price).endswith(".90"), product.sku


def test_prices_make_sense_for_what_is_sold(catalog):
    by_category: dict[str, list[Decimal]] = {}
    for product in catalog.products:
        by_category.setdefault(product.category, []).append(product.list_price)
    assert min(by_category["Notebooks"]) > Decimal("1000")
    assert max(by_category["Acessórios"]) < Decimal("1500")
    assert len(by_category) >= 10


def test_stores_span_states_and_include_the_web_shop(catalog):
    states = {store.state for store in catalog.stores if store.channel is Channel.POS}
    assert {"SP", "RJ", "MG", "PR", "RS", "BA", "PE", "DF"} <= states
    web = [store for store in catalog.stores if store.channel is Channel.ECOMMERCE]
    assert [store.store_id for store in web] == ["WEB-01"]
    assert {store.currency for store in catalog.stores} == {"BRL"}
    assert len({store.region for store in catalog.stores}) >= 5


def test_customers_have_a_segment_mix(catalog):
    segments = Counter(customer.segment for customer in catalog.customers)
    assert set(segments) == {"consumer", "gamer", "small_business", "corporate"}
    assert segments["consumer"] > segments["corporate"] * 5


def test_sample_events_reference_ids_that_exist(catalog):
    skus = {p.sku for p in catalog.products}
    stores = {s.store_id for s in catalog.stores}
    customers = {c.customer_id for c in catalog.customers}
    for sample in (EVENTS_DIR / "sale.json", EVENTS_DIR / "return.json"):
        event = json.loads(sample.read_text())
        assert event["store_id"] in stores
        assert event["customer_id"] in customers
        assert {item["sku"] for item in event["items"]} <= skus


def test_write_reference_to_a_local_lake_reads_back_the_models(tmp_path, catalog):
    lake = tmp_path / "lake"
    written = write_reference(str(lake), catalog, settings=Settings(lake_uri=str(lake)))
    assert len(written) == 3
    for table, model in (("products", Product), ("stores", Store), ("customers", Customer)):
        kind = reference_table(table)
        arrow = pq.read_table(lake / reference_effective_file(table))
        assert arrow.schema.equals(kind.effective_schema(), check_metadata=False)
        assert set(arrow["version"].to_pylist()) == {1}
        assert set(arrow["valid_from"].to_pylist()) == {VALID_FROM_MIN}
        rows = [
            {k: v for k, v in row.items() if k in model.model_fields} for row in arrow.to_pylist()
        ]
        models = [model.model_validate(row) for row in rows]
        key = kind.key
        assert models == sorted(catalog.rows(table), key=lambda row: getattr(row, key))
    assert not list(lake.rglob("*.tmp"))


def test_unknown_table_names_the_known_ones(catalog):
    with pytest.raises(ValueError, match="products"):
        catalog.rows("orders")
