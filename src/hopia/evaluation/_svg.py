"""Small inline SVG plots for the model card (no plotting library, no external asset).

Examples
--------
>>> svg = line_chart([Series("model", [0.1, 0.5], [0.1, 0.4])], x_label="x", y_label="y")
>>> svg.startswith("<svg") and "model" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT = 440, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48
PALETTE = ["#1f5fa8", "#c0392b", "#2e8b57", "#7f8c8d", "#8e44ad"]


@dataclass
class Series:
    """One line (or set of points) of a chart."""

    name: str
    x: Sequence[float]
    y: Sequence[float]
    lower: Sequence[float] | None = None
    upper: Sequence[float] | None = None
    points: bool = False
    dashed: bool = False
    color: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    first = math.ceil(low / step) * step
    return [round(first + k * step, 10) for k in range(int((high - first) / step + 1e-9) + 1)]


def _fmt(value: float) -> str:
    return f"{value:g}"


def line_chart(
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    diagonal: bool = False,
    title: str = "",
) -> str:
    """An SVG chart of lines and/or points with optional error bars or bands."""

    def finite(values: Sequence[float] | None) -> list[float]:
        return [v for v in (values or []) if v is not None and math.isfinite(v)]

    xs = [v for s in series for v in finite(s.x)]
    ys = [v for s in series for v in finite(s.y) + finite(s.lower) + finite(s.upper)]
    x0, x1 = x_range or (min(xs, default=0.0), max(xs, default=1.0))
    y0, y1 = y_range or (min(ys, default=0.0), max(ys, default=1.0))
    if x1 <= x0:
        x1 = x0 + 1
    if y1 <= y0:
        y1 = y0 + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(v: float) -> float:
        return LEFT + (v - x0) / (x1 - x0) * plot_w

    def sy(v: float) -> float:
        return TOP + plot_h - (min(max(v, y0), y1) - y0) / (y1 - y0) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title or y_label)}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>',
    ]
    for t in _ticks(x0, x1):
        parts.append(
            f'<line x1="{sx(t):.1f}" y1="{TOP + plot_h}" x2="{sx(t):.1f}" y2="{TOP + plot_h + 4}" '
            'stroke="#666"/>'
            f'<text x="{sx(t):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{_fmt(t)}</text>'
        )
    for t in _ticks(y0, y1):
        parts.append(
            f'<line x1="{LEFT - 4}" y1="{sy(t):.1f}" x2="{LEFT + plot_w}" y2="{sy(t):.1f}" '
            'stroke="#eee"/>'
            f'<text x="{LEFT - 6}" y="{sy(t) + 4:.1f}" text-anchor="end">{_fmt(t)}</text>'
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle">{escape(x_label)}</text>'
        f'<text transform="translate(14 {TOP + plot_h / 2}) rotate(-90)" text-anchor="middle">'
        f"{escape(y_label)}</text>"
    )
    if diagonal:
        low, high = max(x0, y0), min(x1, y1)
        parts.append(
            f'<line x1="{sx(low):.1f}" y1="{sy(low):.1f}" x2="{sx(high):.1f}" y2="{sy(high):.1f}" '
            'stroke="#999" stroke-dasharray="4 3"/>'
        )
    legend_y = TOP + 14
    for k, s in enumerate(series):
        color = s.color or PALETTE[k % len(PALETTE)]
        pts = [
            (x, y)
            for x, y in zip(s.x, s.y, strict=True)
            if x is not None and y is not None and math.isfinite(x) and math.isfinite(y)
        ]
        if s.lower is not None and s.upper is not None:
            for x, lo, hi in zip(s.x, s.lower, s.upper, strict=True):
                if None in (x, lo, hi) or not all(map(math.isfinite, (x, lo, hi))):
                    continue
                if s.points:
                    parts.append(
                        f'<line x1="{sx(x):.1f}" y1="{sy(lo):.1f}" x2="{sx(x):.1f}" '
                        f'y2="{sy(hi):.1f}" stroke="{color}" stroke-width="1"/>'
                    )
            if not s.points:
                band = [
                    (x, lo, hi)
                    for x, lo, hi in zip(s.x, s.lower, s.upper, strict=True)
                    if None not in (x, lo, hi) and all(map(math.isfinite, (x, lo, hi)))
                ]
                if band:
                    upper = " ".join(f"{sx(x):.1f},{sy(hi):.1f}" for x, _, hi in band)
                    lower = " ".join(f"{sx(x):.1f},{sy(lo):.1f}" for x, lo, _ in reversed(band))
                    parts.append(
                        f'<polygon points="{upper} {lower}" fill="{color}" fill-opacity="0.15" '
                        'stroke="none"/>'
                    )
        if s.points:
            parts.extend(
                f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{color}"/>' for x, y in pts
            )
        elif pts:
            path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
            dash = ' stroke-dasharray="5 3"' if s.dashed else ""
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.6"{dash}/>'
            )
        parts.append(
            f'<rect x="{LEFT + plot_w - 130}" y="{legend_y - 8}" width="10" height="10" '
            f'fill="{color}"/><text x="{LEFT + plot_w - 116}" y="{legend_y + 1}">'
            f"{escape(s.name)}</text>"
        )
        legend_y += 14
    parts.append("</svg>")
    return "".join(parts)


def calibration_svg(rows: Sequence[dict], name: str = "model") -> str:
    """Observed event rate against mean predicted risk per bin, with 95 % intervals."""
    xs = [r["mean_predicted"] for r in rows]
    top = max(
        [0.05, *[v for r in rows for v in (r["mean_predicted"], r["upper"]) if v is not None]]
    )
    top = min(1.0, math.ceil(top * 20) / 20)
    return line_chart(
        [
            Series(
                name,
                xs,
                [r["observed"] for r in rows],
                [r["lower"] for r in rows],
                [r["upper"] for r in rows],
                points=True,
            )
        ],
        x_label="Mean predicted risk",
        y_label="Observed event rate",
        x_range=(0.0, top),
        y_range=(0.0, top),
        diagonal=True,
        title="Calibration",
    )


def decision_curve_svg(rows: Sequence[dict], max_threshold: float = 0.5) -> str:
    """Net benefit against threshold probability for each strategy."""
    strategies: dict[str, list[dict]] = {}
    for r in rows:
        if r["threshold"] <= max_threshold:
            strategies.setdefault(r["strategy"], []).append(r)
    series = []
    colors = {"treat all": "#7f8c8d", "treat none": "#333333"}
    top = 0.0
    for name, points in strategies.items():
        top = max(top, *[p["net_benefit"] for p in points if p["net_benefit"] is not None])
        series.append(
            Series(
                name,
                [p["threshold"] for p in points],
                [p["net_benefit"] for p in points],
                None if name in colors else [p["lower"] for p in points],
                None if name in colors else [p["upper"] for p in points],
                dashed=name in colors,
                color=colors.get(name),
            )
        )
    top = max(top, 0.01)
    return line_chart(
        series,
        x_label="Threshold probability",
        y_label="Net benefit",
        x_range=(0.0, max_threshold),
        y_range=(-0.25 * top, top * 1.05),
        title="Decision curve",
    )
