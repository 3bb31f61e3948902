"""Tiny inline-SVG charts for the patient view: a stay's care units and one panel per series.

No JavaScript and no style attributes (the pages' Content-Security-Policy forbids inline
styles); colours come from CSS classes in ``hopia.css``.

Examples
--------
>>> import datetime as dt
>>> from hopia.serve.schemas import Point, Series
>>> start = dt.datetime(2024, 1, 1)
>>> s = Series(code="LOINC/8867-4", name="Heart rate", unit="/min",
...            points=[Point(time=start, value=80), Point(time=start + dt.timedelta(hours=6), value=95)])
>>> svg = series_svg(s, start, start + dt.timedelta(days=1), label="Heart rate", fmt=str)
>>> svg.startswith("<svg") and "polyline" in svg
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from html import escape
from itertools import count

from hopia.serve.schemas import Series, UnitStay

WIDTH = 720
PANEL_HEIGHT = 150
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 30, 26
_ids = count()


def _x(time: dt.datetime, start: dt.datetime, end: dt.datetime) -> float:
    span = (end - start).total_seconds() or 1.0
    fraction = min(max((time - start).total_seconds() / span, 0.0), 1.0)
    return LEFT + fraction * (WIDTH - LEFT - RIGHT)


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _time_axis(
    start: dt.datetime, end: dt.datetime, y: float, fmt: Callable[[dt.datetime], str]
) -> str:
    parts = [f'<line class="axis" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}"/>']
    for fraction, anchor in ((0.0, "start"), (0.5, "middle"), (1.0, "end")):
        time = start + (end - start) * fraction
        x = LEFT + fraction * (WIDTH - LEFT - RIGHT)
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{y + 16}" text-anchor="{anchor}">{escape(fmt(time))}</text>'
        )
    return "".join(parts)


def series_svg(
    series: Series,
    start: dt.datetime,
    end: dt.datetime,
    *,
    label: str,
    fmt: Callable[[dt.datetime], str],
    name: str | None = None,
) -> str:
    """One panel: the series' values between ``start`` and ``end`` as a line with dots.

    Parameters
    ----------
    series
        The values (points outside the window are left out).
    start, end
        The time window (the x axis).
    label
        Accessible name of the chart (its ``<title>``).
    fmt
        Formats times for the axis and the description.
    name
        The series name written above the plot (default ``series.name``).

    Returns
    -------
    str
        An ``<svg>`` element (safe markup: every text is escaped).
    """
    points = [p for p in series.points if start <= p.time <= end]
    uid = next(_ids)
    lo = min((p.value for p in points), default=0.0)
    hi = max((p.value for p in points), default=1.0)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    height = PANEL_HEIGHT
    plot_bottom = height - BOTTOM

    def y(value: float) -> float:
        return TOP + (hi - value) / (hi - lo) * (plot_bottom - TOP)

    unit = f" ({series.unit})" if series.unit else ""
    if points:
        last = points[-1]
        desc = (
            f"{len(points)} values from {_number(min(p.value for p in points))} to "
            f"{_number(max(p.value for p in points))}{unit}; last {_number(last.value)} at {fmt(last.time)}"
        )
    else:
        desc = "no value in this period"
    coords = " ".join(f"{_x(p.time, start, end):.1f},{y(p.value):.1f}" for p in points)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="chart-t{uid} chart-d{uid}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-t{uid}">{escape(label)}</title>',
        f'<desc id="chart-d{uid}">{escape(desc)}</desc>',
        f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{plot_bottom - TOP}"/>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{escape(_number(hi))}</text>',
        f'<text class="tick" x="{LEFT - 6}" y="{plot_bottom}" text-anchor="end">{escape(_number(lo))}</text>',
        f'<text class="series-name" x="{LEFT}" y="{TOP - 10}">{escape((name or series.name) + unit)}</text>',
    ]
    if len(points) > 1:
        parts.append(f'<polyline class="line" points="{coords}"/>')
    for p in points[-300:]:
        parts.append(
            f'<circle class="dot" cx="{_x(p.time, start, end):.1f}" cy="{y(p.value):.1f}" r="2.5">'
            f"<title>{escape(fmt(p.time))}: {escape(_number(p.value))}{escape(unit)}</title></circle>"
        )
    parts.append(_time_axis(start, end, plot_bottom, fmt))
    parts.append("</svg>")
    return "".join(parts)


def units_svg(
    units: Sequence[UnitStay],
    start: dt.datetime,
    end: dt.datetime,
    *,
    label: str,
    fmt: Callable[[dt.datetime], str],
) -> str:
    """A band showing which care unit the patient was in, between ``start`` and ``end``."""
    uid = next(_ids)
    height = 70
    band_top, band_height = 14, 26
    shown = [u for u in units if (u.end or end) >= start and u.start <= end]
    desc = "; ".join(f"{u.unit} from {fmt(u.start)}" for u in shown) or "no care unit recorded"
    parts = [
        f'<svg class="chart units" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="chart-t{uid} chart-d{uid}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-t{uid}">{escape(label)}</title>',
        f'<desc id="chart-d{uid}">{escape(desc)}</desc>',
        f'<rect class="plot" x="{LEFT}" y="{band_top}" width="{WIDTH - LEFT - RIGHT}" height="{band_height}"/>',
    ]
    for i, unit in enumerate(shown):
        x0 = _x(max(unit.start, start), start, end)
        x1 = _x(min(unit.end or end, end), start, end)
        width = max(x1 - x0, 2.0)
        parts.append(
            f'<rect class="unit unit-{i % 4}" x="{x0:.1f}" y="{band_top}" width="{width:.1f}" '
            f'height="{band_height}"><title>{escape(unit.unit)}</title></rect>'
        )
        if width > 8 * len(unit.unit):
            parts.append(
                f'<text class="unit-name" x="{x0 + 4:.1f}" y="{band_top + 17}">{escape(unit.unit)}</text>'
            )
    parts.append(_time_axis(start, end, band_top + band_height + 4, fmt))
    parts.append("</svg>")
    return "".join(parts)
