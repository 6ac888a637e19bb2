"""Build the EMR artefacts: `entrypoint.py` and `salesflow_batch.zip` (the `contract` and
`batch_layer` packages, which is all the job imports), for `spark-submit --py-files`.

The catalog sync after publication (`SALESFLOW_PUBLISH_CATALOG=athena`) also imports the serving
layer and its SQL files, which a zip on `sys.path` cannot serve as files: it needs the salesflow
wheel installed in the job's Python environment, as the Dockerfile's `emr-artifacts` target does.

`python -m batch_layer.emr.package --out dist/emr`. The zip is byte-for-byte reproducible
(sorted entries, fixed timestamps), so an unchanged job uploads an unchanged artefact.
"""

from __future__ import annotations

import argparse
import shutil
import zipfile
from pathlib import Path

PACKAGES = ("contract", "batch_layer")
ZIP_NAME = "salesflow_batch.zip"
ENTRYPOINT_NAME = "entrypoint.py"
_INCLUDED_SUFFIXES = (".py", ".json")
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def build(out_dir: Path) -> tuple[Path, Path]:
    """Write the zip and the entry script into `out_dir`; returns their paths."""
    source_root = Path(__file__).resolve().parents[2]
    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / ZIP_NAME
    files = sorted(
        path
        for package in PACKAGES
        for path in (source_root / package).rglob("*")
        if path.is_file() and path.suffix in _INCLUDED_SUFFIXES and "__pycache__" not in path.parts
    )
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in files:
            entry = zipfile.ZipInfo(path.relative_to(source_root).as_posix(), _FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            bundle.writestr(entry, path.read_bytes())
    entrypoint = out_dir / ENTRYPOINT_NAME
    shutil.copyfile(Path(__file__).with_name(ENTRYPOINT_NAME), entrypoint)
    return archive, entrypoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("dist/emr"))
    archive, entrypoint = build(parser.parse_args().out)
    print(f"wrote {archive} and {entrypoint}")


if __name__ == "__main__":
    main()
