"""Running the Terraform CLI in tests: a private copy of the tree, the provider on this machine.

Providers cannot be downloaded here. This image carries the AWS provider unpacked under
/opt/tf-plugins; a CLI configuration names it as a filesystem mirror, so `terraform init` links it
instead of copying 700 MB, and nothing is ever fetched from the registry. The copy keeps each
root's committed provider lock and `init` may not change it, so every test that initialises a
root also proves the lock selects this provider and records its package's hash.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.unit.infra.terraform_tree import REPO_ROOT, TERRAFORM_DIR

PLUGIN_DIR = Path("/opt/tf-plugins")
AWS_PROVIDER = PLUGIN_DIR / "registry.terraform.io/hashicorp/aws"

CLI_CONFIG = f"""
provider_installation {{
  filesystem_mirror {{
    path    = "{PLUGIN_DIR}"
    include = ["registry.terraform.io/hashicorp/*"]
  }}
  direct {{
    exclude = ["registry.terraform.io/hashicorp/*"]
  }}
}}
"""


def terraform_binary() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        raise RuntimeError(
            "terraform is not on PATH; install the Terraform CLI (>= 1.9) to run the infra tests"
        )
    return binary


def provider_available() -> bool:
    return AWS_PROVIDER.is_dir()


def copy_tree(destination: Path) -> Path:
    """Copy infra/terraform and the contract's names file, keeping their relative places.

    The env root reads ../../../../contract/resource_names.json, so the copy must keep the layout.
    Returns the copied env root.
    """
    shutil.copytree(
        TERRAFORM_DIR,
        destination / "infra" / "terraform",
        ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"),
    )
    (destination / "contract").mkdir()
    shutil.copy(REPO_ROOT / "contract" / "resource_names.json", destination / "contract")
    (destination / "terraformrc").write_text(CLI_CONFIG)
    return destination / "infra" / "terraform" / "envs" / "prod"


def run(
    arguments: list[str], *, cwd: Path, cli_config: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "TF_CLI_CONFIG_FILE": str(cli_config or os.devnull),
    }
    return subprocess.run(
        [terraform_binary(), *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def init(root: Path, cli_config: Path) -> subprocess.CompletedProcess[str]:
    """`terraform init` of a copied root against the mirror, its committed lock read-only."""
    return run(
        ["init", "-backend=false", "-input=false", "-lockfile=readonly"],
        cwd=root,
        cli_config=cli_config,
    )
