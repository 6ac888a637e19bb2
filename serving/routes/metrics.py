"""`GET /v1/metrics/sales` (and its `/breakdowns`) and `GET /v1/metrics/top-products`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from serving.deps import ServiceDep, breakdowns_query, products_query, sales_query
from serving.models import SalesBreakdowns, SalesMetrics, TopProducts
from serving.service import BreakdownsQuery, ProductsQuery, SalesQuery

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])


@router.get("/sales", response_model=SalesMetrics)
async def sales_metrics(
    service: ServiceDep, query: Annotated[SalesQuery, Depends(sales_query)]
) -> BaseModel:
    """Every metric per bucket of event time (and per group), with exact totals.

    Metrics: gross and net revenue, discount, cost, margin and margin % (over the lines whose
    product cost is known), orders, units, average ticket, units per order, returns and return
    rate. Group by one or two dimensions (`group_by=store_region,brand`); filter by any with
    repeated query parameters (`category=Notebooks&category=Tablets`, `promotion_id=BF-2026`,
    `attributes.loyalty_tier=gold` for a declared attribute); a value the sale does not carry
    is `(none)`, an attribute unknown to the catalog `(unknown)`. `compare` adds each row's
    values over a comparison period beside it. The range is rounded outwards to whole buckets
    (whole days for week and month) and the answer says which range it covers.
    `attributes=current` groups every sale under today's catalog; the default keeps each
    sale's own."""
    return await service.sales(query)


@router.get("/sales/breakdowns", response_model=SalesBreakdowns)
async def sales_breakdowns(
    service: ServiceDep, query: Annotated[BreakdownsQuery, Depends(breakdowns_query)]
) -> BaseModel:
    """Several groupings of the same range and slice at once (`group_by=category&group_by=
    brand&group_by=store_region,store_state`), each answered exactly as `/v1/metrics/sales`
    answers that `group_by` with the other parameters; `granularity` defaults to `total`.
    One query reads the lines for all of them: a dashboard's panels cost one scan of the
    real-time side, not one per panel (on Athena, each scan is billed)."""
    return await service.breakdowns(query)


@router.get("/top-products", response_model=TopProducts)
async def top_products(
    service: ServiceDep, query: Annotated[ProductsQuery, Depends(products_query)]
) -> BaseModel:
    """The best-selling products over the range by net revenue, units or margin, with the
    same filters and every metric; `slow_movers=true` ranks the active products from the
    lowest, those that sold nothing first."""
    return await service.top_products(query)
