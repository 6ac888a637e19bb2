"""Every Terraform root a deployer applies commits its provider lock (issue 13, supply chain):
`terraform init` then installs the version the lock selects and only a package whose hash the
lock records, whatever the registry serves that day.

The hashes are the registry's `zh:` ones, one per platform's package, so the lock holds on every
deploying machine; `terraform init` adds the `h1:` hash of the machine's own platform the first
time (docs/deploy.md says to commit it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.unit.infra.terraform_tree import TERRAFORM_DIR, parse

ROOTS = sorted(
    [TERRAFORM_DIR / "envs" / "prod", *(TERRAFORM_DIR / "examples").glob("*/")],
    key=str,
)
"""The directories `terraform init` runs in: the environment and the examples."""
PLATFORMS = 15
"""Packages the AWS provider's release ships (operating systems times architectures)."""
_ZIP_HASH = re.compile(r"zh:[0-9a-f]{64}")
_PESSIMISTIC = re.compile(r"~> (?P<major>\d+)\.(?P<minor>\d+)")


def required_providers(root: Path) -> dict[str, str]:
    """Each provider's registry address and version constraint, from the root's `terraform`
    block."""
    (terraform,) = parse(root / "versions.tf")["terraform"]
    (providers,) = terraform["required_providers"]
    return {
        f"registry.terraform.io/{spec['source']}": spec["version"] for spec in providers.values()
    }


def locked_providers(root: Path) -> dict[str, dict[str, Any]]:
    lock = root / ".terraform.lock.hcl"
    assert lock.is_file(), f"{lock} is missing: run `terraform init` there and commit it"
    return {name: body for entry in parse(lock)["provider"] for name, body in entry.items()}


def zip_hashes(entry: dict[str, Any]) -> set[str]:
    return {h for h in entry["hashes"] if _ZIP_HASH.fullmatch(h)}


def satisfies(version: str, constraint: str) -> bool:
    """`version` within a pessimistic constraint `~> MAJOR.MINOR` (the tree's only form)."""
    bound = _PESSIMISTIC.fullmatch(constraint)
    assert bound, f"unexpected constraint {constraint!r}"
    major, minor = (int(part) for part in version.split(".")[:2])
    return major == int(bound["major"]) and minor >= int(bound["minor"])


def test_the_roots_are_found() -> None:
    assert [root.name for root in ROOTS] == ["prod", "customer-profiles", "event-stream"]


@pytest.mark.parametrize("root", ROOTS, ids=lambda root: root.name)
def test_each_root_locks_every_provider_it_requires_with_every_platform_s_hash(root: Path) -> None:
    required = required_providers(root)
    locked = locked_providers(root)
    assert set(locked) == set(required)
    for address, constraint in required.items():
        entry = locked[address]
        assert entry["constraints"] == constraint, address
        assert satisfies(entry["version"], constraint), address
        assert len(zip_hashes(entry)) == PLATFORMS, address
        assert all(h.startswith(("zh:", "h1:")) for h in entry["hashes"]), address


def test_every_root_locks_the_same_versions_and_packages() -> None:
    """The roots deploy the same modules: one provider release for all (their `h1:` hashes may
    differ, each added by `terraform init` on the platform it ran on)."""
    locks = [
        {address: (entry["version"], zip_hashes(entry)) for address, entry in lock.items()}
        for lock in map(locked_providers, ROOTS)
    ]
    assert all(lock == locks[0] for lock in locks)


def test_the_locks_are_not_ignored_by_git() -> None:
    ignored = (TERRAFORM_DIR.parents[1] / ".gitignore").read_text().splitlines()
    assert not any("terraform.lock.hcl" in pattern for pattern in ignored)
