"""The Terraform tree as data: every block of every module, parsed with python-hcl2."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

REPO_ROOT = Path(__file__).resolve().parents[3]
TERRAFORM_DIR = REPO_ROOT / "infra" / "terraform"
MODULES_DIR = TERRAFORM_DIR / "modules"
ENV_DIR = TERRAFORM_DIR / "envs" / "prod"

_OPTIONS = SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)


@dataclass(frozen=True)
class Block:
    """One `resource`, `data`, `variable`, `output` or `module` block and where it is written."""

    kind: str
    type: str
    name: str
    body: dict[str, Any]
    file: Path

    @property
    def where(self) -> str:
        label = " ".join(part for part in (self.kind, self.type, self.name) if part)
        return f"{self.file.relative_to(REPO_ROOT)}: {label}"


def module_dirs() -> list[Path]:
    return sorted(path for path in MODULES_DIR.iterdir() if path.is_dir())


def terraform_dirs() -> list[Path]:
    return [*module_dirs(), ENV_DIR]


@cache
def parse(file: Path) -> dict[str, Any]:
    with file.open() as handle:
        parsed: dict[str, Any] = hcl2.load(handle, serialization_options=_OPTIONS)
    return parsed


def tf_files() -> list[Path]:
    return sorted(TERRAFORM_DIR.rglob("*.tf"), key=str)


def blocks(kind: str) -> Iterator[Block]:
    """Every block of `kind` in the tree; typed kinds (resource, data) carry their type."""
    for file in tf_files():
        for entry in parse(file).get(kind, []):
            for first, value in entry.items():
                if kind in ("resource", "data"):
                    for name, body in value.items():
                        yield Block(kind, first, name, body, file)
                else:
                    yield Block(kind, "", first, value, file)


def resources(resource_type: str | None = None) -> list[Block]:
    return [b for b in blocks("resource") if resource_type in (None, b.type)]


def policy_documents() -> list[Block]:
    return [b for b in blocks("data") if b.type == "aws_iam_policy_document"]
