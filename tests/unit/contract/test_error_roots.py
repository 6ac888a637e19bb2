"""Every error salesflow defines derives from `SalesflowError` through its package's root, so a
caller can catch all of salesflow's refusals, or one layer's, without knowing each module."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

from contract.errors import SalesflowError

REPO_ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("contract", "ingest_api", "speed_layer", "batch_layer", "serving", "devstack")


def defined_errors(package: str) -> list[type[BaseException]]:
    """The exception classes written in `package`'s modules (not those they import)."""
    found = []
    for module_info in pkgutil.walk_packages([str(REPO_ROOT / package)], prefix=f"{package}."):
        module = importlib.import_module(module_info.name)
        found += [
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and issubclass(value, BaseException)
            and value.__module__ == module.__name__
        ]
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_every_error_of_a_package_derives_from_its_packages_root(package: str) -> None:
    errors = defined_errors(package)
    strays = [error.__qualname__ for error in errors if not issubclass(error, SalesflowError)]
    assert not strays, f"{package} errors outside SalesflowError: {strays}"
    roots = {error for error in errors if SalesflowError in error.__bases__}
    assert all(root.__module__ == f"{package}.errors" for root in roots), sorted(map(str, roots))
