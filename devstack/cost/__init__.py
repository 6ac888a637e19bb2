"""`salesflow cost`: the monthly AWS bill of a deployment, by component, from list prices."""

from devstack.cost.model import Assumptions, Estimate, LineItem, Workload, cents, estimate
from devstack.cost.prices import PriceFileError, PriceList, load_prices

__all__ = [
    "Assumptions",
    "Estimate",
    "LineItem",
    "PriceFileError",
    "PriceList",
    "Workload",
    "cents",
    "estimate",
    "load_prices",
]
