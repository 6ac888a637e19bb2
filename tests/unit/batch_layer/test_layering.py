"""The batch layer's one dependency on the serving layer (ADR 0003): the catalog sync, from one
module, so the Spark job and a local run never load the serving layer."""

from __future__ import annotations

import ast
from pathlib import Path

BATCH_LAYER = Path(__file__).resolve().parents[3] / "batch_layer"
ALLOWED = {("catalog.py", "serving.catalog_sync"), ("catalog.py", "serving.errors")}


def _imported_modules(source: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def test_only_the_catalog_step_imports_the_serving_layer_and_only_its_catalog_sync() -> None:
    found = {
        (str(source.relative_to(BATCH_LAYER)), module)
        for source in BATCH_LAYER.rglob("*.py")
        for module in _imported_modules(source)
        if module == "serving" or module.startswith("serving.")
    }
    assert found == ALLOWED
