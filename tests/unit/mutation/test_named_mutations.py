"""Every named mutation still finds its text exactly once in its file: `make mutation` reports a
mutation whose code moved on as stale, and a stale one guards nothing."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = ROOT / "tests" / "mutation" / "named_mutations.toml"
MUTATIONS = tomllib.loads(CATALOGUE.read_text())["mutation"]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m["name"] for m in MUTATIONS])
def test_the_mutation_finds_its_text_once_and_names_tests_that_exist(
    mutation: dict[str, Any],
) -> None:
    text = (ROOT / mutation["file"]).read_text()
    assert text.count(mutation["find"]) == 1, f"{mutation['name']}: edit its `find`"
    assert mutation["find"] != mutation["replace"]
    for test in mutation["tests"]:
        path = ROOT / test.partition("::")[0]
        assert path.exists(), f"{mutation['name']}: no {test}"
