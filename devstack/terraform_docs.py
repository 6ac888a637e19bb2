"""Writes each Terraform module's README: what it is, a real call of it, its inputs and outputs.

The purpose is the comment that opens the module's `main.tf`, the example is the call the
deployment itself makes (`envs/prod/main.tf`, or the module that uses a shared one), and the
tables come from `variables.tf` and `outputs.tf`, so nothing is written twice by hand. A unit test
fails when a README no longer names every input and output of its module. Run
`python -m devstack.terraform_docs` after changing a module.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

TERRAFORM_DIR = Path(__file__).resolve().parents[1] / "infra" / "terraform"
MODULES_DIR = TERRAFORM_DIR / "modules"
ENV_ROOT = TERRAFORM_DIR / "envs" / "prod"
LONGEST_DEFAULT = 40
"""A default longer than this is left to variables.tf rather than stretching the table."""

_OPTIONS = SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)


def render(module: Path) -> str:
    """The README of the module in `module`."""
    sections = [
        f"# `{module.name}` module",
        _purpose(module),
        "## Example",
        *_example(module),
        "## Inputs",
        _inputs(module),
        "## Outputs",
        _outputs(module),
    ]
    return "\n\n".join(sections) + "\n"


def block_names(module: Path, kind: str, file: str) -> list[str]:
    """The names of the `variable` or `output` blocks of one of the module's files."""
    return [name for entry in _blocks(module / file, kind) for name in entry]


def _purpose(module: Path) -> str:
    lines = []
    for line in (module / "main.tf").read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.removeprefix("#").strip())
    return " ".join(lines) or f"The `{module.name}` module."


def _example(module: Path) -> list[str]:
    for caller in [ENV_ROOT / "main.tf", *sorted(MODULES_DIR.glob("*/main.tf"))]:
        call = _call_of(caller.read_text(), module.name)
        if call is not None:
            where = caller.relative_to(TERRAFORM_DIR)
            return [f"As `{where}` calls it:", f"```hcl\n{call}\n```"]
    return ["Called by no other module yet: see `variables.tf` for what it takes."]


def _call_of(text: str, name: str) -> str | None:
    """The first `module` block of `text` whose source is the module `name`, as written."""
    source = re.compile(rf'source\s*=\s*"(\.\./)+(modules/)?{re.escape(name)}"')
    for start in (m.start() for m in re.finditer(r'^module "[^"]+"\s*{', text, re.MULTILINE)):
        end = text.index("\n}", start) + 2
        block = text[start:end]
        if source.search(block):
            return block
    return None


def _inputs(module: Path) -> str:
    rows = ["| name | type | default | description |", "|---|---|---|---|"]
    for entry in _blocks(module / "variables.tf", "variable"):
        for name, body in entry.items():
            rows.append(
                f"| `{name}` | `{_type(body)}` | {_default(body)} | {_cell(body['description'])} |"
            )
    return "\n".join(rows)


def _outputs(module: Path) -> str:
    rows = ["| name | description |", "|---|---|"]
    for entry in _blocks(module / "outputs.tf", "output"):
        for name, body in entry.items():
            rows.append(f"| `{name}` | {_cell(body['description'])} |")
    return "\n".join(rows)


def _blocks(file: Path, kind: str) -> list[dict[str, Any]]:
    with file.open() as handle:
        parsed: dict[str, Any] = hcl2.load(handle, serialization_options=_OPTIONS)
    blocks: list[dict[str, Any]] = parsed.get(kind, [])
    return blocks


def _type(body: dict[str, Any]) -> str:
    text = str(body["type"]).removeprefix("${").removesuffix("}")
    return re.sub(r"\s+", " ", text).replace("|", "\\|")


def _default(body: dict[str, Any]) -> str:
    if "default" not in body:
        return "required"
    text = json.dumps(body["default"], ensure_ascii=False)
    if len(text) > LONGEST_DEFAULT:
        return "see `variables.tf`"
    return f"`{text}`".replace("|", "\\|")


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("|", "\\|")


def main() -> int:
    for module in sorted(path for path in MODULES_DIR.iterdir() if path.is_dir()):
        (module / "README.md").write_text(render(module))
        print(f"wrote {module / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
