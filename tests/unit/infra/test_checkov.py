"""checkov over infra/terraform: no failed check; every skip is inline with its reason.

checkov lives in its own virtualenv (.venv-checkov, made by `scripts/bootstrap.sh test`) because
its dependency pins conflict with the project's. It runs offline: no policy download, no
Bridgecrew platform, no package scan.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.unit.infra.terraform_tree import REPO_ROOT, TERRAFORM_DIR

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"

pytestmark = pytest.mark.xdist_group("checkov")


def test_checkov_reports_no_failed_check() -> None:
    assert CHECKOV.exists(), f"{CHECKOV} is missing: run `scripts/bootstrap.sh test` (or make test)"
    result = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(TERRAFORM_DIR),
            "--framework",
            "terraform",
            "--quiet",
            "--compact",
            "--skip-download",
            "--output",
            "json",
        ],
        env={
            **os.environ,
            "BC_SKIP_MAPPING": "TRUE",
            "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
            "LOG_LEVEL": "WARNING",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for check in report["results"]["failed_checks"]
    ]
    assert failed == [], "\n".join(failed)
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 300
    assert summary["skipped"] >= 10
    assert result.returncode == 0, result.stderr
