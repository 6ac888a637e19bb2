"""The sale event contract and everything every layer shares: schemas, lake layout, settings.

It imports no layer; every layer imports it.
"""

from contract.event import (
    CONTRACT_VERSION,
    Channel,
    EventType,
    IngestedSaleEvent,
    LineItem,
    PaymentMethod,
    SaleEvent,
)
from contract.settings import ApiKey, Settings, hash_api_key

__all__ = [
    "CONTRACT_VERSION",
    "ApiKey",
    "Channel",
    "EventType",
    "IngestedSaleEvent",
    "LineItem",
    "PaymentMethod",
    "SaleEvent",
    "Settings",
    "hash_api_key",
]
