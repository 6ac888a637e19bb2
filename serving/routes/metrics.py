"""`GET /v1/metrics/sales` and `GET /v1/metrics/top-products`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from serving.deps import ServiceDep, check_bucket_count, event_time_range
from serving.models import SalesMetrics, TopProducts
from serving.queries import Attributes, EventTimeRange, Granularity, GroupBy

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])


@router.get("/sales", response_model=SalesMetrics)
async def sales_metrics(
    service: ServiceDep,
    period: Annotated[EventTimeRange, Depends(event_time_range)],
    granularity: Granularity = Granularity.DAY,
    group_by: GroupBy | None = None,
    attributes: Attributes = Attributes.AS_OF_SALE,
) -> BaseModel:
    """Net and gross revenue, discount, units, orders and returns per bucket of event time.

    `attributes=current` groups every sale under today's catalog (a SKU moved to another
    category counts there for all of its history); the default keeps each sale's own."""
    check_bucket_count(period, granularity)
    return await service.sales(period, granularity, group_by, attributes)


@router.get("/top-products", response_model=TopProducts)
async def top_products(
    service: ServiceDep,
    period: Annotated[EventTimeRange, Depends(event_time_range)],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    attributes: Attributes = Attributes.AS_OF_SALE,
) -> BaseModel:
    """The best-selling products by net revenue over the range."""
    return await service.top_products(period, limit, attributes)
