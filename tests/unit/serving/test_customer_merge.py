"""Merging a run's profile with a customer's real-time lines, case by case (no engine)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from serving.customers import CutPoints, Profile, RealtimeLine, merged

TODAY = date(2026, 11, 23)
CUTS = CutPoints(
    last_purchase_date=[date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1), date(2026, 11, 15)],
    orders=[1, 2, 4, 8],
    net_revenue=[Decimal("100.00"), Decimal("500.00"), Decimal("1000.00"), Decimal("5000.00")],
)
STORED = Profile(
    customer_id="C-1",
    customer_segment="gold",
    customer_city="Recife",
    customer_state="PE",
    first_purchase_at=datetime(2026, 8, 1, 15, tzinfo=UTC),
    last_purchase_at=datetime(2026, 9, 10, 15, tzinfo=UTC),
    first_purchase_date=date(2026, 8, 1),
    last_purchase_date=date(2026, 9, 10),
    tenure_days=112,
    recency_days=72,
    orders=3,
    returns=0,
    units=5,
    net_revenue=Decimal("900.00"),
    average_ticket=Decimal("300.00"),
    preferred_channel="pos",
    preferred_category="Notebooks",
    channel_orders={"pos": 3},
    category_net_revenue={"Notebooks": Decimal("800.00"), "Mice": Decimal("100.00")},
    recency_score=2,
    frequency_score=3,
    monetary_score=3,
    rfm_segment="At risk",
    as_of_date=date(2026, 11, 21),
)


def line(
    event_id: str,
    at: datetime,
    *,
    kind: str = "sale",
    channel: str = "ecommerce",
    category: str | None = "Mice",
    amount: str = "250.00",
    units: int = 1,
) -> RealtimeLine:
    return RealtimeLine(
        event_id=event_id,
        event_type=kind,
        occurred_at=at,
        sale_date=at.date(),
        channel=channel,
        category=category,
        net_units=units,
        net_amount=Decimal(amount),
        customer_segment="silver",
        customer_city="Natal",
        customer_state="RN",
    )


def test_without_lines_the_runs_profile_stands_with_its_days_counted_to_today() -> None:
    profile = merged("C-1", STORED, [], None, TODAY)
    assert profile == replace(STORED, tenure_days=114, recency_days=74, as_of_date=TODAY)


def test_todays_purchases_add_up_and_the_profile_is_scored_against_the_runs_cut_points() -> None:
    today = datetime(2026, 11, 23, 13, tzinfo=UTC)
    lines = [
        line("E-1", today, amount="250.00"),
        line("E-1", today, category="Notebooks", amount="350.00", units=2),
        line("E-2", today, kind="return", category=None, amount="-50.00", units=-1),
    ]
    profile = merged("C-1", STORED, lines, CUTS, TODAY)
    assert profile is not None
    assert (profile.orders, profile.returns, profile.units) == (4, 1, 7)
    assert profile.net_revenue == Decimal("1450.00")
    assert profile.average_ticket == Decimal("362.50")
    assert profile.last_purchase_at == today
    assert (profile.first_purchase_date, profile.recency_days) == (date(2026, 8, 1), 0)
    assert profile.channel_orders == {"pos": 3, "ecommerce": 1}
    assert profile.preferred_channel == "pos"
    assert profile.category_net_revenue == {
        "Notebooks": Decimal("1150.00"),
        "Mice": Decimal("350.00"),
    }
    assert (profile.recency_score, profile.frequency_score, profile.monetary_score) == (5, 3, 4)
    assert profile.rfm_segment == "Potential loyalists"
    assert profile.customer_segment == "gold", "the catalog's attributes, as the run had them"


def test_a_late_purchase_before_the_first_one_moves_the_first_purchase() -> None:
    early = datetime(2026, 5, 2, 2, 30, tzinfo=UTC)
    profile = merged("C-1", STORED, [line("E-9", early)], CUTS, TODAY)
    assert profile is not None
    assert (profile.first_purchase_at, profile.last_purchase_at) == (early, STORED.last_purchase_at)
    assert profile.tenure_days == (TODAY - early.date()).days


def test_a_customer_new_since_t_has_a_profile_of_their_own_lines() -> None:
    at = datetime(2026, 11, 22, 18, tzinfo=UTC)
    profile = merged("C-NEW", None, [line("E-5", at, channel="pos")], CUTS, TODAY)
    assert profile is not None
    assert (profile.customer_id, profile.orders, profile.preferred_channel) == ("C-NEW", 1, "pos")
    assert profile.customer_segment == "silver", "attributes of the latest line"
    assert profile.rfm_segment == "New"
    unscored = merged("C-NEW", None, [line("E-5", at)], CutPoints([], [], []), TODAY)
    assert unscored is not None
    assert (unscored.recency_score, unscored.rfm_segment) == (None, None), "no run to rank among"


def test_no_purchase_at_all_is_no_profile() -> None:
    at = datetime(2026, 11, 22, 18, tzinfo=UTC)
    assert merged("C-X", None, [], CUTS, TODAY) is None
    assert (
        merged("C-X", None, [line("E-7", at, kind="return", amount="-10.00")], CUTS, TODAY) is None
    )
