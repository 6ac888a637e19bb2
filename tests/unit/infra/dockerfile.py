"""The Dockerfile as data: its stages, the image each one starts from, its ARG defaults.

No Docker engine runs here, so the tests read the file: what it pins, and what each stage
installs on which base.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from tests.unit.infra.terraform_tree import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"

_FROM = re.compile(
    r"FROM\s+(?:--platform=(?P<platform>\S+)\s+)?(?P<reference>\S+)(?:\s+AS\s+(?P<name>\S+))?",
    flags=re.IGNORECASE,
)


@dataclass(frozen=True)
class From:
    """One stage's FROM: another stage, `scratch`, or an image `name:tag@sha256:...`."""

    platform: str | None
    reference: str

    @property
    def image(self) -> str:
        """The reference without its digest (`python:3.11-slim-bookworm`)."""
        return self.reference.split("@", 1)[0]

    @property
    def digest(self) -> str | None:
        return self.reference.split("@", 1)[1] if "@" in self.reference else None


@cache
def stages() -> dict[str, list[str]]:
    """Stage name -> its instructions, continuation lines joined; the unnamed last stage is
    `<default>`."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _FROM.match(line.strip())
        if match:
            current = match["name"] or "<default>"
            found[current] = []
        found.setdefault(current, []).append(line.strip())
    return found


def base_of(stage: str) -> From:
    match = _FROM.match(stages()[stage][0])
    assert match, stages()[stage][0]
    return From(match["platform"], match["reference"])


def external_base(stage: str) -> From:
    """The image a stage is built on, following `FROM <other stage>` to its root."""
    base = base_of(stage)
    while base.reference in stages():
        base = base_of(base.reference)
    return base


def arg_default(stage: str, name: str) -> str:
    """The default of `ARG name=value` in `stage`."""
    for line in stages()[stage]:
        match = re.fullmatch(rf"ARG\s+{name}=(\S+)", line)
        if match:
            return match[1]
    raise KeyError(f"no ARG {name} with a default in stage {stage}")


def syntax_line() -> str:
    return DOCKERFILE.read_text().splitlines()[0]
