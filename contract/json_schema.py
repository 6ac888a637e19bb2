"""The sale event's JSON Schema, published once per contract version in `contract/schemas/`.

`sale_event.v<version>.schema.json` of the current version (`contract.event.CONTRACT_VERSION`) is
exported from the model; a test fails when file and model drift apart. Earlier versions' files
are kept as published, never regenerated: clients pinned to them keep validating, and a test
checks every one is a subset of the current schema (each property unchanged, nothing newly
required), which is what "a minor version only adds optional fields" means in practice.
Regenerate the current file with `python -m contract.json_schema`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contract.event import CONTRACT_VERSION, SaleEvent

SCHEMAS_DIR = Path(__file__).parent / "schemas"


def schema_file(version: str) -> Path:
    return SCHEMAS_DIR / f"sale_event.v{version}.schema.json"


SCHEMA_FILE = schema_file(CONTRACT_VERSION)


def published_versions() -> list[str]:
    """Every version with a published schema file, oldest first."""
    versions = [
        path.name.split(".v", 1)[1].removesuffix(".schema.json")
        for path in SCHEMAS_DIR.glob("sale_event.v*.schema.json")
    ]
    return sorted(versions, key=lambda v: tuple(int(part) for part in v.split(".")))


def sale_event_json_schema() -> dict[str, Any]:
    schema = SaleEvent.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render() -> str:
    return json.dumps(sale_event_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render())
    print(f"wrote {SCHEMA_FILE}")
