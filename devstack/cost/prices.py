"""The list prices `salesflow cost` uses, read from the one data file `prices.json`.

Every price is a Decimal parsed from a string, like every other amount of money in the project.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from devstack.errors import DevstackError


class PriceFileError(DevstackError):
    """The price file is missing a price or holds something that is not a decimal string."""


@dataclass(frozen=True)
class PriceList:
    as_of: str
    region: str
    currency: str
    hours_per_month: Decimal
    sources: dict[str, str]
    services: dict[str, dict[str, Decimal]]

    def __call__(self, service: str, price: str) -> Decimal:
        try:
            return self.services[service][price]
        except KeyError:
            raise PriceFileError(
                f"price {service}.{price} is missing from the price file (as of {self.as_of})"
            ) from None

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> PriceList:
        meta = {"_comment", "as_of", "region", "currency", "hours_per_month", "sources"}
        try:
            services = {
                service: {name: _decimal(f"{service}.{name}", v) for name, v in table.items()}
                for service, table in document.items()
                if service not in meta
            }
            return cls(
                as_of=str(document["as_of"]),
                region=str(document["region"]),
                currency=str(document["currency"]),
                hours_per_month=_decimal("hours_per_month", document["hours_per_month"]),
                sources=dict(document["sources"]),
                services=services,
            )
        except KeyError as missing:
            raise PriceFileError(f"the price file has no {missing} entry") from None


def _decimal(name: str, value: object) -> Decimal:
    if not isinstance(value, str):
        raise PriceFileError(f'price {name} must be a decimal string like "0.023", got {value!r}')
    try:
        return Decimal(value)
    except ArithmeticError:
        raise PriceFileError(f"price {name} is not a decimal number: {value!r}") from None


def load_prices(path: Path | None = None) -> PriceList:
    """The bundled price list, or the one at `path` (same layout as devstack/cost/prices.json)."""
    if path is None:
        text = resources.files("devstack.cost").joinpath("prices.json").read_text()
    else:
        text = path.read_text()
    return PriceList.from_document(json.loads(text))
