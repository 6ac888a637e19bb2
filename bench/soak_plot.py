"""The soak benchmark's plot as a plain SVG file: memory of each process over the run, and each
minute's freshness p99 against the target. Written by hand (no plotting library is a dependency
of the project), two panels sharing the time axis."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

WIDTH, PANEL_HEIGHT, MARGIN = 760, 220, 60
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[float, float]]
    """(minutes since the start, value)."""


@dataclass(frozen=True)
class _Panel:
    top: float
    title: str
    unit: str
    x_max: float
    y_max: float

    def x(self, minutes: float) -> float:
        return MARGIN + minutes / self.x_max * (WIDTH - 2 * MARGIN)

    def y(self, value: float) -> float:
        return self.top + PANEL_HEIGHT - value / self.y_max * PANEL_HEIGHT


def write_plot(
    path: Path,
    *,
    memory: list[Series],
    freshness: Series,
    warmup_minutes: float,
    p99_target_ms: float,
) -> None:
    x_max = max(x for series in [*memory, freshness] for x, _ in series.points) or 1.0
    rss_max = max(y for series in memory for _, y in series.points) * 1.1
    p99_max = max([p99_target_ms, *(y for _, y in freshness.points)]) * 1.1
    top = _Panel(40, "RSS per process", "MiB", x_max, rss_max)
    bottom = _Panel(40 + PANEL_HEIGHT + 80, "202-to-counted p99 per minute", "ms", x_max, p99_max)
    height = int(bottom.top + PANEL_HEIGHT + 50)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
    ]
    for panel in (top, bottom):
        parts += _axes(panel, warmup_minutes)
    for n, series in enumerate(memory):
        colour = COLOURS[n % len(COLOURS)]
        parts.append(_line(top, series, colour))
        parts.append(
            f'<text x="{WIDTH - MARGIN + 5}" y="{top.top + 12 + 14 * n}" fill="{colour}">'
            f"{escape(series.name)}</text>"
        )
    target_y = bottom.y(p99_target_ms)
    parts.append(
        f'<line x1="{MARGIN}" x2="{WIDTH - MARGIN}" y1="{target_y:.1f}" y2="{target_y:.1f}" '
        'stroke="#d62728" stroke-dasharray="4 3"/>'
    )
    parts.append(
        f'<text x="{WIDTH - MARGIN + 5}" y="{target_y + 4:.1f}" fill="#d62728">target</text>'
    )
    parts.append(_line(bottom, freshness, COLOURS[0]))
    parts.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n")


def _axes(panel: _Panel, warmup_minutes: float) -> list[str]:
    left, right = MARGIN, WIDTH - MARGIN
    bottom = panel.top + PANEL_HEIGHT
    warm = panel.x(warmup_minutes)
    return [
        f'<text x="{left}" y="{panel.top - 10}" font-size="13">{escape(panel.title)}</text>',
        f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="black"/>',
        f'<line x1="{left}" x2="{left}" y1="{panel.top}" y2="{bottom}" stroke="black"/>',
        f'<text x="{left - 5}" y="{panel.top + 4}" text-anchor="end">'
        f"{panel.y_max:.0f} {panel.unit}</text>",
        f'<text x="{left - 5}" y="{bottom}" text-anchor="end">0</text>',
        f'<text x="{right}" y="{bottom + 15}" text-anchor="end">{panel.x_max:.0f} min</text>',
        f'<line x1="{warm:.1f}" x2="{warm:.1f}" y1="{panel.top}" y2="{bottom}" stroke="#999" '
        'stroke-dasharray="2 2"/>',
        f'<text x="{warm + 3:.1f}" y="{panel.top + 10}" fill="#999">warm-up ends</text>',
    ]


def _line(panel: _Panel, series: Series, colour: str) -> str:
    points = " ".join(f"{panel.x(x):.1f},{panel.y(y):.1f}" for x, y in series.points)
    return f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
