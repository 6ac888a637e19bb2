"""`GET /v1/metrics/sales` and `GET /v1/metrics/top-products` (DESIGN section 6)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from serving.deps import ServiceDep, check_bucket_count, event_time_range
from serving.models import SalesMetrics, TopProducts
from serving.queries import EventTimeRange, Granularity, GroupBy

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])


@router.get("/sales", response_model=SalesMetrics)
async def sales_metrics(
    service: ServiceDep,
    period: Annotated[EventTimeRange, Depends(event_time_range)],
    granularity: Granularity = Granularity.DAY,
    group_by: GroupBy | None = None,
) -> BaseModel:
    """Net and gross revenue, discount, units, orders and returns per bucket of event time."""
    check_bucket_count(period, granularity)
    return await service.sales(period, granularity, group_by)


@router.get("/top-products", response_model=TopProducts)
async def top_products(
    service: ServiceDep,
    period: Annotated[EventTimeRange, Depends(event_time_range)],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> BaseModel:
    """The best-selling products by net revenue over the range."""
    return await service.top_products(period, limit)
