"""The sale event's JSON Schema, exported to `contract/schemas/sale_event.v1.schema.json`.

Clients validate against the file; a test fails when the file and the model drift apart.
Regenerate with `python -m contract.json_schema`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contract.event import SaleEvent

SCHEMA_FILE = Path(__file__).parent / "schemas" / "sale_event.v1.schema.json"


def sale_event_json_schema() -> dict[str, Any]:
    schema = SaleEvent.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render() -> str:
    return json.dumps(sale_event_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render())
    print(f"wrote {SCHEMA_FILE}")
