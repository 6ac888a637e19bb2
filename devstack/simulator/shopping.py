"""What a customer buys and how they pay: baskets, quantities, discounts and payment mixes.

The mixes follow Brazilian retail: at the till people pay by card, pix or cash, never boleto;
online they pay by card, pix or boleto, never cash; companies favour boleto and buy in units of
several; gamers buy GPUs and peripherals; pix often earns a 5% discount.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from contract.event import Channel, PaymentMethod
from contract.money import CENT
from contract.reference import Customer, Product

PAYMENT_MIX: dict[Channel, tuple[tuple[PaymentMethod, float], ...]] = {
    Channel.POS: (
        (PaymentMethod.CREDIT_CARD, 0.46),
        (PaymentMethod.DEBIT_CARD, 0.19),
        (PaymentMethod.PIX, 0.25),
        (PaymentMethod.CASH, 0.08),
        (PaymentMethod.VOUCHER, 0.02),
    ),
    Channel.ECOMMERCE: (
        (PaymentMethod.CREDIT_CARD, 0.56),
        (PaymentMethod.PIX, 0.33),
        (PaymentMethod.BOLETO, 0.09),
        (PaymentMethod.VOUCHER, 0.02),
    ),
}
CORPORATE_PAYMENT_MIX: dict[Channel, tuple[tuple[PaymentMethod, float], ...]] = {
    Channel.POS: ((PaymentMethod.CREDIT_CARD, 0.6), (PaymentMethod.PIX, 0.4)),
    Channel.ECOMMERCE: (
        (PaymentMethod.BOLETO, 0.55),
        (PaymentMethod.CREDIT_CARD, 0.25),
        (PaymentMethod.PIX, 0.2),
    ),
}
BUSINESS_SEGMENTS = frozenset({"corporate", "small_business"})

CATEGORY_INTEREST: dict[str, dict[str, float]] = {
    "consumer": {
        "Notebooks": 6, "Desktops": 1.5, "Monitores": 3, "Periféricos": 8, "Componentes": 2,
        "Redes": 4, "Armazenamento": 5, "Smartphones": 7, "Tablets": 2, "Áudio": 7,
        "Impressão": 3, "Acessórios": 10,
    },
    "gamer": {
        "Notebooks": 4, "Desktops": 3, "Monitores": 5, "Periféricos": 10, "Componentes": 10,
        "Redes": 2, "Armazenamento": 5, "Smartphones": 2, "Tablets": 0.5, "Áudio": 6,
        "Impressão": 0.5, "Acessórios": 5,
    },
    "small_business": {
        "Notebooks": 8, "Desktops": 5, "Monitores": 5, "Periféricos": 6, "Componentes": 1,
        "Redes": 5, "Armazenamento": 4, "Smartphones": 3, "Tablets": 1, "Áudio": 1,
        "Impressão": 6, "Acessórios": 6,
    },
    "corporate": {
        "Notebooks": 10, "Desktops": 6, "Monitores": 7, "Periféricos": 5, "Componentes": 0.5,
        "Redes": 4, "Armazenamento": 3, "Smartphones": 3, "Tablets": 2, "Áudio": 1,
        "Impressão": 3, "Acessórios": 4,
    },
}  # fmt: skip
"""Relative interest of each customer segment in each category (walk-ins shop as consumers)."""

LINE_COUNT_WEIGHTS = ((1, 0.58), (2, 0.25), (3, 0.1), (4, 0.04), (5, 0.02), (6, 0.01))
PIX_DISCOUNT = Decimal("0.05")
PROMOTION_CHANCE = 0.12
PROMOTION_RATES = (Decimal("0.05"), Decimal("0.10"), Decimal("0.15"), Decimal("0.20"))
CHEAP_ITEM = Decimal("150")


@dataclass(frozen=True)
class BasketLine:
    product: Product
    quantity: int
    unit_price: Decimal
    discount: Decimal


class Shopper:
    """Makes baskets and payment choices from a seeded generator and the product catalog."""

    def __init__(self, rng: random.Random, products: Sequence[Product]) -> None:
        self._rng = rng
        self._by_category: dict[str, list[Product]] = {}
        for product in products:
            self._by_category.setdefault(product.category, []).append(product)
        self._popularity = {
            category: [1 / float(list_price(p)) ** 0.5 for p in items]
            for category, items in self._by_category.items()
        }

    def payment_method(self, channel: Channel, customer: Customer | None) -> PaymentMethod:
        business = customer is not None and customer.segment in BUSINESS_SEGMENTS
        mix = (CORPORATE_PAYMENT_MIX if business else PAYMENT_MIX)[channel]
        return self._rng.choices([m for m, _ in mix], [w for _, w in mix])[0]

    def basket(self, customer: Customer | None, payment: PaymentMethod) -> list[BasketLine]:
        """One to six distinct products, cheaper ones more often, with realistic quantities."""
        segment = (customer.segment if customer is not None else None) or "consumer"
        interest = CATEGORY_INTEREST.get(segment, CATEGORY_INTEREST["consumer"])
        categories = [c for c in interest if c in self._by_category]
        line_count = self._rng.choices(*zip(*LINE_COUNT_WEIGHTS, strict=True))[0]
        chosen: dict[str, Product] = {}
        for _ in range(line_count * 3):
            if len(chosen) == line_count:
                break
            category = self._rng.choices(categories, [interest[c] for c in categories])[0]
            product = self._rng.choices(self._by_category[category], self._popularity[category])[0]
            chosen.setdefault(product.sku, product)
        return [self._line(product, segment, payment) for product in chosen.values()]

    def _line(self, product: Product, segment: str, payment: PaymentMethod) -> BasketLine:
        quantity = self._quantity(product, segment)
        unit_price = list_price(product)
        rate = Decimal(0)
        if payment is PaymentMethod.PIX:
            rate += PIX_DISCOUNT
        if self._rng.random() < PROMOTION_CHANCE:
            rate += self._rng.choice(PROMOTION_RATES)
        discount = (unit_price * quantity * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        return BasketLine(product, quantity, unit_price, discount)

    def _quantity(self, product: Product, segment: str) -> int:
        if segment in BUSINESS_SEGMENTS and self._rng.random() < 0.4:
            return self._rng.randint(2, 12 if segment == "corporate" else 5)
        if list_price(product) < CHEAP_ITEM and self._rng.random() < 0.3:
            return self._rng.randint(2, 4)
        return 1


def list_price(product: Product) -> Decimal:
    """What the simulated shop charges: the catalog's list price, which it must have."""
    if product.list_price is None:
        raise ValueError(f"product {product.sku} has no list_price; the simulator needs one")
    return product.list_price
