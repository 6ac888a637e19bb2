"""AWS resource names, derived from one name prefix by the templates in `resource_names.json`.

Terraform reads the same JSON file, so the Python settings and the deployed resources agree by
construction rather than by convention.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

DEFAULT_NAME_PREFIX = "salesflow"
NAME_PREFIX_PATTERN = r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$"
"""2-24 characters: `<prefix>-serving`, the longest target group name, must fit AWS's 32. Terraform
validates `name_prefix` with the same expression (tests/unit/infra/test_structure.py)."""


@cache
def _templates() -> dict[str, str]:
    text = resources.files("contract").joinpath("resource_names.json").read_text()
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


@dataclass(frozen=True)
class ResourceNames:
    stream: str
    queue: str
    dead_letter_queue: str
    kinesis_dead_letter_queue: str
    csv_dead_letter_queue: str
    lake_bucket: str
    athena_results_bucket: str
    glue_database: str
    athena_workgroup: str
    checkpoint_table: str
    kcl_lease_table: str
    customer_profiles_table: str
    api_keys_secret: str

    @classmethod
    def for_prefix(cls, prefix: str = DEFAULT_NAME_PREFIX) -> ResourceNames:
        snake = prefix.replace("-", "_")
        return cls(
            **{
                key: template.replace("{prefix_snake}", snake).replace("{prefix}", prefix)
                for key, template in _templates().items()
            }
        )
