"""An estimate as a text table or as JSON (money as decimal strings, never floats)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from devstack.cost.inputs import MeasuredInput, assumed_inputs
from devstack.cost.model import Estimate, cents


def as_document(
    estimate: Estimate, measured: Mapping[str, MeasuredInput] | None = None
) -> dict[str, Any]:
    measured = measured or {}
    workload = {key: str(value) for key, value in asdict(estimate.workload).items()}
    return {
        "prices_as_of": estimate.prices.as_of,
        "region": estimate.prices.region,
        "currency": estimate.prices.currency,
        "workload": workload,
        "components": [
            {"component": item.component, "monthly": str(cents(item.monthly)), "basis": item.basis}
            for item in estimate.items
        ],
        "total_monthly": str(cents(estimate.total)),
        "inputs": {
            "measured": [
                {
                    "input": item.name,
                    "value": str(item.value),
                    "benchmark": f"python -m bench.{item.source.benchmark}",
                    "metric": item.source.metric,
                    "at": item.at,
                }
                for item in measured.values()
            ],
            "assumed": assumed_inputs(measured),
        },
    }


def as_json(estimate: Estimate, measured: Mapping[str, MeasuredInput] | None = None) -> str:
    return json.dumps(as_document(estimate, measured), indent=2) + "\n"


def as_table(estimate: Estimate, measured: Mapping[str, MeasuredInput] | None = None) -> str:
    prices = estimate.prices
    currency = prices.currency
    rows = [(item.component, f"{cents(item.monthly):,.2f}", item.basis) for item in estimate.items]
    rows.append(("Total", f"{cents(estimate.total):,.2f}", ""))
    name_width = max(len(row[0]) for row in rows)
    money_width = max(len(row[1]) for row in rows)
    header = f"{'component'.ljust(name_width)}  {f'{currency}/month'.rjust(money_width)}  basis"
    lines = [
        f"Monthly AWS estimate for {estimate.workload.events_per_day:,} events/day "
        f"({prices.region}, list prices as of {prices.as_of})",
        header,
        "-" * len(header),
    ]
    for name, money, basis in rows:
        if name == "Total":
            lines.append("-" * len(header))
        lines.append(
            f"{name.ljust(name_width)}  {money.rjust(max(money_width, 9))}  {basis}".rstrip()
        )
    return "\n".join(lines + _provenance(measured or {})) + "\n"


def _provenance(measured: Mapping[str, MeasuredInput]) -> list[str]:
    """Which inputs the benchmarks measured on the real code, and which are still assumed."""
    lines = ["", "inputs measured on the code (bench/results/):"]
    lines += [
        f"  {item.name} = {item.value}  ({item.source.metric}, python -m "
        f"bench.{item.source.benchmark}, {item.at[:10]})"
        for item in measured.values()
    ] or [
        "  none: run `python -m bench.cost_inputs`, `python -m bench.freshness` and "
        "`python -m bench.athena_scan`"
    ]
    lines.append(f"inputs assumed (devstack/cost/model.py): {', '.join(assumed_inputs(measured))}")
    return lines
