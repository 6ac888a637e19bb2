"""The dimensions the query API groups and filters by, each a whitelisted SQL expression.

A request names dimensions (`group_by=store_id,brand`, `category=Tablets`); only names found here
reach the SQL, as the expression written here, and filter values only as string literals that
sqlglot renders. Custom attributes of contract v1.1 become dimensions when the deployment
declares them (`SALESFLOW_QUERY_ATTRIBUTES=loyalty_tier,marketplace`); undeclared ones are stored
in `attributes` but not queryable through the API (Athena users can still read the map).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from contract.reference import UNKNOWN_ATTRIBUTE

ATHENA_DIALECT = "athena"
NOT_SET = "(none)"
"""The label of an optional field the sale did not carry (no promotion, no terminal)."""
ATTRIBUTE_PREFIX = "attributes."


@dataclass(frozen=True)
class Dimension:
    name: str
    """As the API spells it: a column of the merged view, or `attributes.<key>`."""
    expression: str
    """SQL over the merged view giving the dimension's value, never NULL (see `missing`)."""

    def where_in(self, values: tuple[str, ...]) -> str:
        literals = ", ".join(exp.Literal.string(v).sql(ATHENA_DIALECT) for v in values)
        return f"{self.expression} IN ({literals})"

    def select(self) -> str:
        return (
            f"{self.expression} AS {exp.to_identifier(self.name, quoted=True).sql(ATHENA_DIALECT)}"
        )


def _column(name: str, missing: str) -> Dimension:
    return Dimension(name, f"COALESCE({name}, '{missing}')")


CATALOG_DIMENSIONS = (
    "category",
    "subcategory",
    "brand",
    "store_region",
    "store_state",
    "store_city",
    "customer_segment",
)
"""Attributes from reference data: NULL means the key is not (yet) in the catalog."""
PRODUCT_DIMENSIONS = ("sku", "category", "subcategory", "brand")
"""Dimensions that are columns of the `products` reference table too (slow movers filter the
catalog by them)."""
EVENT_DIMENSIONS = ("store_id", "channel", "payment_method", "sku")
"""Fields every event carries."""
OPTIONAL_EVENT_DIMENSIONS = ("promotion_id", "coupon_code", "terminal_id", "salesperson_id")
"""Contract v1.1's optional fields: NULL means the sale did not carry one."""


@dataclass(frozen=True)
class Filter:
    dimension: Dimension
    values: tuple[str, ...]

    def where(self) -> str:
        return self.dimension.where_in(self.values)


def dimensions(declared_attributes: tuple[str, ...] = ()) -> dict[str, Dimension]:
    """Every queryable dimension by name, for a deployment declaring `declared_attributes`."""
    found = {name: _column(name, NOT_SET) for name in EVENT_DIMENSIONS}
    found |= {name: _column(name, UNKNOWN_ATTRIBUTE) for name in CATALOG_DIMENSIONS}
    found |= {name: _column(name, NOT_SET) for name in OPTIONAL_EVENT_DIMENSIONS}
    for key in declared_attributes:
        name = f"{ATTRIBUTE_PREFIX}{key}"
        value = f"element_at(attributes, {exp.Literal.string(key).sql(ATHENA_DIALECT)})"
        found[name] = Dimension(name, f"COALESCE({value}, '{NOT_SET}')")
    return found
