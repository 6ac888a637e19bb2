"""Every Terraform module says what it takes and gives, and every example runs.

The READMEs are written by `python -m devstack.terraform_docs` from the modules themselves; this
fails when one no longer names an input or output its module has, so they cannot drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack.terraform_docs import block_names
from tests.unit.infra.terraform_cli import copy_tree, init, provider_available, run
from tests.unit.infra.terraform_tree import TERRAFORM_DIR, module_dirs

EXAMPLES_DIR = TERRAFORM_DIR / "examples"


def example_dirs() -> list[Path]:
    return sorted(path for path in EXAMPLES_DIR.iterdir() if path.is_dir())


@pytest.mark.parametrize("module", module_dirs(), ids=lambda path: path.name)
def test_every_module_readme_names_each_input_and_output(module: Path) -> None:
    readme = module / "README.md"
    assert readme.is_file(), f"run `python -m devstack.terraform_docs` to write {readme}"
    text = readme.read_text()
    missing = [
        name
        for kind, file in (("variable", "variables.tf"), ("output", "outputs.tf"))
        for name in block_names(module, kind, file)
        if f"`{name}`" not in text
    ]
    assert missing == [], f"run `python -m devstack.terraform_docs`: {readme} lacks {missing}"
    assert "## Example" in text


def test_there_are_examples_and_each_has_the_standard_files() -> None:
    assert len(example_dirs()) >= 2
    for example in example_dirs():
        present = {path.name for path in example.glob("*.tf")}
        assert {"main.tf", "variables.tf", "outputs.tf", "versions.tf"} <= present, example


@pytest.mark.skipif(not provider_available(), reason="no AWS provider on this machine")
@pytest.mark.parametrize("example", example_dirs(), ids=lambda path: path.name)
def test_every_example_initialises_and_validates(example: Path, tmp_path: Path) -> None:
    env_root = copy_tree(tmp_path)
    folder = env_root.parents[1] / "examples" / example.name
    cli_config = tmp_path / "terraformrc"
    initialised = init(folder, cli_config)
    assert initialised.returncode == 0, initialised.stderr
    result = run(["validate", "-json"], cwd=folder, cli_config=cli_config)
    report = json.loads(result.stdout)
    assert report["valid"], json.dumps(report["diagnostics"], indent=2)
