"""The Java engines the AWS paths run locally, resolved from Maven Central by the set-up.

Three parts of the AWS deployment are Java: the KCL MultiLangDaemon, Spark's S3 connector and
Athena's engine (Trino). Each is a *bundle*: a pom under `requirements/maven/<bundle>.xml` that
pins its artifacts. The set-up (`scripts/bootstrap.sh`, `python -m devstack.jars fetch`) copies a
bundle's artifacts and their dependencies into `.cache/jars/<bundle>/<digest of the pom>/` with
`mvn dependency:copy-dependencies`. Maven's own repository (~/.m2) keeps the downloads and a
bundle whose folder is complete is not resolved again, so a second set-up needs no network; a
changed pom gets a new folder, so no stale jar is ever mixed in.

Callers find a bundle with `bundle_dir`; where it is absent (no Maven, no network) it raises
`MissingBundleError` naming the artifacts and the command that fetches them, which the tests turn
into a skip with that reason while everything else still runs.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

from devstack.errors import DevstackError

ROOT = Path(__file__).resolve().parent.parent
POMS = ROOT / "requirements" / "maven"
CACHE = ROOT / ".cache" / "jars"
COMPLETE = ".complete"
"""Written last in a bundle's folder: its absence means a fetch was cut short."""
_POM_NAMESPACE = {"m": "http://maven.apache.org/POM/4.0.0"}


class MissingBundleError(DevstackError):
    """A bundle the set-up did not (or could not) fetch."""


def bundles() -> list[str]:
    return sorted(path.stem for path in POMS.glob("*.xml"))


def pom(bundle: str) -> Path:
    path = POMS / f"{bundle}.xml"
    if not path.is_file():
        raise MissingBundleError(f"no bundle {bundle!r}: the bundles are {', '.join(bundles())}")
    return path


def artifacts(bundle: str) -> list[str]:
    """`group:artifact:version` of each dependency the bundle's pom pins (for messages)."""
    tree = ElementTree.parse(pom(bundle))  # noqa: S314 (the repository's own poms)
    return [
        ":".join(
            (node.findtext(f"m:{part}", default="?", namespaces=_POM_NAMESPACE) or "?")
            for part in ("groupId", "artifactId", "version")
        )
        for node in tree.getroot().iterfind("m:dependencies/m:dependency", _POM_NAMESPACE)
    ]


def folder(bundle: str) -> Path:
    digest = hashlib.sha256(pom(bundle).read_bytes()).hexdigest()[:16]
    return CACHE / bundle / digest


def bundle_dir(bundle: str) -> Path:
    """The folder holding the bundle's artifacts; MissingBundleError when it was not fetched."""
    where = folder(bundle)
    if not (where / COMPLETE).exists():
        raise MissingBundleError(
            f"{', '.join(artifacts(bundle))} not fetched from Maven Central "
            f"(run `make setup`, or `.venv/bin/python -m devstack.jars fetch {bundle}`)"
        )
    return where


def fetch(bundle: str) -> Path:
    """Resolve the bundle into its folder unless it is already complete; returns the folder."""
    where = folder(bundle)
    if (where / COMPLETE).exists():
        return where
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MissingBundleError(f"cannot fetch {bundle}: Maven (`mvn`) is not installed")
    partial = where.with_name(where.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        mvn,
        "--batch-mode",
        "--quiet",
        "--file",
        str(pom(bundle)),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={partial}",
        "-DincludeScope=runtime",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise MissingBundleError(
            f"Maven could not fetch {', '.join(artifacts(bundle))} (exit code "
            f"{result.returncode}): {(result.stdout + result.stderr).strip()[-2000:]}"
        )
    (partial / COMPLETE).write_text("\n".join(artifacts(bundle)) + "\n")
    shutil.rmtree(where, ignore_errors=True)
    partial.rename(where)
    return where


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.jars",
        description="Fetch the pinned Java engines of the AWS paths from Maven Central.",
    )
    parser.add_argument("action", choices=["fetch"])
    parser.add_argument("bundle", nargs="*", help="bundles to fetch (default: all)")
    parser.add_argument(
        "--optional",
        action="store_true",
        help="report a bundle that cannot be fetched and go on (the set-up's mode: the tests "
        "that need it skip and say why)",
    )
    args = parser.parse_args(argv)
    status = 0
    for bundle in args.bundle or bundles():
        try:
            where = fetch(bundle)
        except MissingBundleError as error:
            print(f"set-up: {error}", file=sys.stderr, flush=True)
            status = 0 if args.optional else 1
        else:
            print(f"set-up: {bundle} jars in {where.relative_to(ROOT)}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
