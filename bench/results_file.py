"""Writes a layer's benchmark figures to `bench/results/<layer>.json` and prints them as a table.

Every figure is a ratio against a baseline measured in the same run on the same machine, so the
numbers mean something on a shared, noisy machine.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

RESULTS_DIR = Path(__file__).parent / "results"

_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


@dataclass(frozen=True)
class Figure:
    metric: str
    value: float
    unit: str
    baseline: float | None
    ratio: float | None
    target: str | None
    """Like ">= 0.6": compared with `ratio` when there is one, else with `value`."""
    met: bool | None
    at: str


def figure(
    metric: str, value: float, unit: str, baseline: float | None = None, target: str | None = None
) -> Figure:
    ratio = value / baseline if baseline else None
    return Figure(
        metric=metric,
        value=round(value, 4),
        unit=unit,
        baseline=round(baseline, 4) if baseline is not None else None,
        ratio=round(ratio, 4) if ratio is not None else None,
        target=target,
        met=_meets(ratio if ratio is not None else value, target),
        at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _meets(measured: float, target: str | None) -> bool | None:
    if target is None:
        return None
    symbol, _, threshold = target.partition(" ")
    return _COMPARISONS[symbol](measured, float(threshold))


def write_results(layer: str, figures: list[Figure]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{layer}.json"
    path.write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n")
    header = (
        f"{'metric':<44} {'value':>12} {'unit':<10} {'baseline':>12} {'ratio':>8} target     met"
    )
    print(header)
    print("-" * len(header))
    for f in figures:
        print(
            f"{f.metric:<44} {f.value:>12,.2f} {f.unit:<10} "
            f"{(f'{f.baseline:,.2f}' if f.baseline is not None else '-'):>12} "
            f"{(f'{f.ratio:.3f}' if f.ratio is not None else '-'):>8} "
            f"{(f.target or '-'):<10} {'' if f.met is None else ('yes' if f.met else 'NO')}"
        )
    print(f"\nwrote {path}")
    return path
