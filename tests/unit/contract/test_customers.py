"""The Customer 360 rules of the contract: cut-point scores, the segment table, preferences."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

import pytest

from contract.customers import (
    QUINTILES,
    RFM_SEGMENTS,
    cut_positions,
    preferred,
    rfm_segment,
    score,
)


def rank_quintile(value: int, population: list[int]) -> int:
    """The definition docs/serving.md gives: 1 + floor(5 * smaller values / customers), at most
    5 (a value above every customer's)."""
    smaller = sum(1 for other in population if other < value)
    return min(QUINTILES, 1 + QUINTILES * smaller // len(population))


@pytest.mark.parametrize("seed", range(40))
def test_scoring_by_cut_points_is_the_rank_quintile_for_members_and_newcomers(seed: int) -> None:
    rng = random.Random(seed)
    population = [rng.randint(0, rng.choice((3, 10, 1000))) for _ in range(rng.randint(1, 60))]
    ordered = sorted(population)
    cuts = [ordered[position - 1] for position in cut_positions(len(population))]
    for value in [*population, -1, 2000, *range(0, 12)]:
        assert score(value, cuts) == rank_quintile(value, population), (value, population)


def test_every_score_combination_has_exactly_one_segment_the_first_matching_rule() -> None:
    names = [rule.segment for rule in RFM_SEGMENTS]
    assert len(set(names)) == len(names)
    used = set()
    for scores in itertools.product(range(1, QUINTILES + 1), repeat=3):
        matching = [rule.segment for rule in RFM_SEGMENTS if rule.matches(*scores)]
        assert matching, scores
        assert rfm_segment(*scores) == matching[0]
        used.add(matching[0])
    assert used == set(names), "every rule names someone"


def test_segments_an_analyst_expects() -> None:
    assert rfm_segment(5, 5, 5) == "Champions"
    assert rfm_segment(5, 1, 1) == "New"
    assert rfm_segment(1, 5, 5) == "At risk"
    assert rfm_segment(1, 1, 1) == "Lost"
    assert rfm_segment(2, 1, 3) == "Hibernating"
    with pytest.raises(ValueError, match="no RFM segment"):
        rfm_segment(0, 1, 1)


def test_the_preferred_key_has_the_largest_amount_and_ties_go_to_the_first_name() -> None:
    assert preferred({"pos": 3, "ecommerce": 5}) == "ecommerce"
    assert preferred({"pos": 4, "ecommerce": 4}) == "ecommerce"
    assert preferred({"b": Decimal("-1.00"), "a": Decimal("-2.00")}) == "b"
    assert preferred({}) is None
