"""`GET /v1/metrics/sales` and `GET /v1/metrics/top-products`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from serving.deps import ServiceDep, check_bucket_count, event_time_range, metrics_slice
from serving.models import SalesMetrics, TopProducts
from serving.queries import EventTimeRange, Granularity, Slice

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])


@router.get("/sales", response_model=SalesMetrics)
async def sales_metrics(
    service: ServiceDep,
    period: Annotated[EventTimeRange, Depends(event_time_range)],
    slice_: Annotated[Slice, Depends(metrics_slice)],
    granularity: Granularity = Granularity.DAY,
) -> BaseModel:
    """Net and gross revenue, discount, units, orders and returns per bucket of event time.

    Filter by any dimension with repeated query parameters (`category=Notebooks&category=Tablets`,
    `promotion_id=BF-2026`, `attributes.loyalty_tier=gold` for a declared attribute); a value
    the sale does not carry is `(none)`, an attribute unknown to the catalog `(unknown)`.
    `attributes=current` groups every sale under today's catalog (a SKU moved to another
    category counts there for all of its history); the default keeps each sale's own."""
    check_bucket_count(period, granularity)
    return await service.sales(period, granularity, slice_)


@router.get("/top-products", response_model=TopProducts)
async def top_products(
    service: ServiceDep,
    period: Annotated[EventTimeRange, Depends(event_time_range)],
    slice_: Annotated[Slice, Depends(metrics_slice)],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> BaseModel:
    """The best-selling products by net revenue over the range, with the same filters."""
    return await service.top_products(period, limit, slice_)
