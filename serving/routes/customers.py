"""`GET /v1/customers/{customer_id}` and `GET /v1/metrics/customers`: Customer 360."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

from contract.event import Identifier
from serving.customer_models import CustomerMetrics, CustomerProfile, UnknownCustomer
from serving.customers import CustomerService

router = APIRouter(tags=["customers"])

_IDENTIFIER: TypeAdapter[str] = TypeAdapter(Identifier)


def get_customers(request: Request) -> CustomerService:
    customers: CustomerService = request.app.state.customers
    return customers


CustomersDep = Annotated[CustomerService, Depends(get_customers)]


def only_parameters(*names: str) -> Any:
    """Refuse query parameters a route does not take, naming them, rather than ignore a typo."""

    def check(request: Request) -> None:
        for name in request.query_params:
            if name not in names:
                allowed = ", ".join(names) or "none"
                raise RequestValidationError(
                    [
                        {
                            "type": "value_error",
                            "loc": ("query", name),
                            "msg": f"unknown query parameter {name!r}; this route takes {allowed}",
                            "input": request.query_params[name],
                        }
                    ]
                )

    return Depends(check)


@router.get(
    "/v1/customers/{customer_id:path}",
    response_model=CustomerProfile,
    responses={404: {"description": "No purchase of this customer before T nor since."}},
    dependencies=[only_parameters("realtime")],
)
async def customer_profile(
    customers: CustomersDep,
    customer_id: str,
    realtime: Annotated[
        bool,
        Query(
            description="Merge the purchases since T (the default). `false` answers from the "
            "published run alone: on AWS a DynamoDB read and nothing else."
        ),
    ] = True,
) -> BaseModel:
    """The customer's profile: first and last purchase, tenure, orders, units, net revenue,
    average ticket, preferred channel and category, RFM scores and segment, from the published
    batch run merged with the customer's purchases since its cutoff T."""
    try:
        _IDENTIFIER.validate_python(customer_id)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("path", "customer_id")} for e in error.errors(include_url=False)]
        ) from error
    answer = await customers.profile(customer_id, realtime=realtime)
    if isinstance(answer, UnknownCustomer):
        raise HTTPException(status_code=404, detail=answer.detail)
    return answer


@router.get(
    "/v1/metrics/customers",
    response_model=CustomerMetrics,
    dependencies=[only_parameters("cohorts")],
)
async def customer_metrics(
    customers: CustomersDep,
    cohorts: Annotated[
        int, Query(ge=1, le=240, description="How many cohort months, the latest first.")
    ] = 12,
) -> BaseModel:
    """The published run's customers per RFM segment (with each segment's rule), the quintile
    cut points, monthly cohort retention and new vs returning customers per month."""
    return await customers.metrics(cohorts)
