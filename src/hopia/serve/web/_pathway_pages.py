"""The pathways page: the pathway map, variants, length of stay per unit and bed occupancy.

Everything shown is an aggregate from :mod:`hopia.serve.api.pathways` (small counts masked).
The map is drawn offline: Graphviz ``dot`` renders it to SVG when it is installed
(``scripts/system-deps.sh``), else a simple layered drawing of our own is used. Charts are
inline SVG without scripts or style attributes (the pages' Content-Security-Policy).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Callable
from html import escape
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from hopia.serve._state import WarehouseUnavailable
from hopia.serve.api.pathways import (
    PathwayMap,
    UnitOccupancy,
    pathway_map,
    pathway_variants,
    unit_durations,
    unit_occupancy,
)
from hopia.serve.web._chart import LEFT, PANEL_HEIGHT, RIGHT, TOP, WIDTH, _time_axis, _x
from hopia.serve.web._render import PageUser, language, render, state_of

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

# Labels of this page (English, French); the shared catalogue holds the rest.
LABELS: dict[str, tuple[str, str]] = {
    "pathways": ("Pathways", "Parcours"),
    "map": ("Pathway map", "Carte des parcours"),
    "map_note": (
        "Arrows join consecutive steps of a case: number of transitions | median wait.",
        "Les flèches relient les étapes successives : nombre de passages | attente médiane.",
    ),
    "by_stay": ("one case per stay", "un cas par séjour"),
    "by_person": ("one case per person", "un cas par personne"),
    "variants": ("Most frequent variants", "Variantes les plus fréquentes"),
    "variant": ("Steps", "Étapes"),
    "cases": ("Cases", "Cas"),
    "share": ("Share", "Part"),
    "of_total": ("variants in all", "variantes au total"),
    "durations": ("Length of stay per unit", "Durée de séjour par unité"),
    "unit": ("Unit", "Unité"),
    "stays": ("Stays", "Séjours"),
    "mean_h": ("Mean (h)", "Moyenne (h)"),
    "median_h": ("Median (h)", "Médiane (h)"),
    "p90_h": ("90th percentile (h)", "90e centile (h)"),
    "occupancy": ("Bed occupancy and 7-day forecast", "Occupation des lits et prévision à 7 jours"),
    "occupancy_note": (
        "Beds occupied each hour (solid) and forecast (dashed); error on the last week held "
        "out: forecast {model}, seasonal naive {naive}.",
        "Lits occupés chaque heure (trait plein) et prévision (tirets) ; erreur sur la "
        "dernière semaine mise de côté : prévision {model}, naïve saisonnière {naive}.",
    ),
    "no_data": ("No pathway data in the warehouse.", "Aucun parcours dans l'entrepôt."),
}

Case = Literal["stay", "person"]


def labels(lang: str) -> Callable[..., str]:
    """``pt(key, **values)``: this page's label in ``lang``."""
    index = 1 if lang == "fr" else 0

    def pt(key: str, **values: object) -> str:
        text = LABELS[key][index]
        return text.format(**values) if values else text

    return pt


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wait(seconds: float | None) -> str:
    if seconds is None:
        return "•"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _edge_label(count: int | None, median: float | None) -> str:
    return "•" if count is None else f"{count} | {_wait(median)}"


def map_dot(found: PathwayMap) -> str:
    """The map as Graphviz text: start and end markers, masked edges dashed and grey."""
    heaviest = max([e.count for e in found.edges if e.count is not None] or [1])
    lines = [
        "digraph pathway {",
        "  rankdir=LR; bgcolor=transparent;",
        '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
        '  "\u25b6" [shape=circle, label="\u25b6"]; "\u25a0" [shape=circle, label="\u25a0"];',
    ]
    for marker, ends, outgoing in (("\u25b6", found.start, True), ("\u25a0", found.end, False)):
        for end in ends:
            pair = (marker, end.activity) if outgoing else (end.activity, marker)
            label = "•" if end.cases is None else str(end.cases)
            lines.append(f"  {_quote(pair[0])} -> {_quote(pair[1])} [label={_quote(label)}];")
    for edge in found.edges:
        style = ""
        if edge.count is None:
            style = ", style=dashed, color=gray50, fontcolor=gray30"
        else:
            style = f", penwidth={1.0 + 4.0 * edge.count / heaviest:.1f}"
        label = _edge_label(edge.count, edge.median_seconds)
        lines.append(
            f"  {_quote(edge.source)} -> {_quote(edge.target)} [label={_quote(label)}{style}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


_UNSAFE = re.compile(r"<script|<foreignObject|\son[a-z]+\s*=|javascript:|\sstyle\s*=", re.I)


def _dot_svg(dot_text: str, label: str) -> str | None:
    """SVG drawn by Graphviz ``dot``, or None when it is missing, fails or looks unsafe."""
    program = shutil.which("dot")
    if program is None:
        return None
    try:
        done = subprocess.run(
            [program, "-Tsvg"], input=dot_text.encode(), capture_output=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    svg = done.stdout.decode("utf-8", "replace")
    start = svg.find("<svg")
    if done.returncode != 0 or start < 0 or _UNSAFE.search(svg):
        return None
    svg = re.sub(r"<!--.*?-->", "", svg[start:], flags=re.S)
    # scale with the page: drop Graphviz's fixed size, keep its viewBox
    return re.sub(
        r'<svg width="[^"]*" height="[^"]*"', '<svg class="chart pathway-map"', svg, count=1
    )


def _layered_svg(found: PathwayMap, label: str) -> str:
    """A simple drawing without Graphviz: steps in columns by distance from a start."""
    names = sorted({e.source for e in found.edges} | {e.target for e in found.edges})
    names += sorted({s.activity for s in found.start} - set(names))
    rank = {s.activity: 0 for s in found.start}
    for _ in range(len(names)):
        for edge in found.edges:
            if edge.source in rank and edge.target not in rank:
                rank[edge.target] = rank[edge.source] + 1
    columns: dict[int, list[str]] = {}
    for name in names:
        columns.setdefault(rank.get(name, 0), []).append(name)
    box_w, box_h, gap_x, gap_y = 150, 28, 70, 18
    place = {
        name: (20 + col * (box_w + gap_x), 20 + row * (box_h + gap_y))
        for col, members in columns.items()
        for row, name in enumerate(members)
    }
    width = 40 + (max(columns, default=0) + 1) * (box_w + gap_x)
    height = 40 + max((len(m) for m in columns.values()), default=1) * (box_h + gap_y)
    parts = [
        f'<svg class="chart pathway-map" viewBox="0 0 {width} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path fill="#4a5560" d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ]
    for edge in found.edges:
        (x0, y0), (x1, y1) = place[edge.source], place[edge.target]
        ax, ay, bx, by = float(x0 + box_w), y0 + box_h / 2, float(x1), y1 + box_h / 2
        if x1 <= x0:  # backwards or same column: leave from the bottom, arrive at the top
            ax, ay, bx, by = x0 + box_w / 2, y0 + box_h, x1 + box_w / 2, y1
        dash = ' stroke-dasharray="4 3"' if edge.count is None else ""
        parts.append(
            f'<line class="axis" stroke="#4a5560" x1="{ax:.0f}" y1="{ay:.0f}" x2="{bx:.0f}" y2="{by:.0f}"'
            f'{dash} marker-end="url(#arrow)"><title>{escape(edge.source)} → '
            f"{escape(edge.target)}: {escape(_edge_label(edge.count, edge.median_seconds))}"
            "</title></line>"
        )
    for name, (x, y) in place.items():
        parts.append(
            f'<rect class="plot" fill="#fafbfc" stroke="#4a5560" x="{x}" y="{y}" width="{box_w}" '
            f'height="{box_h}" rx="6"/>'
            f'<text class="tick" x="{x + box_w / 2}" y="{y + 18}" text-anchor="middle">'
            f"{escape(name[:22])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def map_svg(found: PathwayMap, label: str) -> str:
    """The pathway map as SVG (Graphviz when available)."""
    return _dot_svg(map_dot(found), label) or _layered_svg(found, label)


def occupancy_svg(
    unit: UnitOccupancy, *, label: str, fmt: Callable[[dt.datetime], str], note: str
) -> str:
    """A unit's census (solid) then forecast (dashed); masked hours leave gaps."""
    points = unit.census + unit.forecast
    if not points:
        return ""
    start, end = points[0].hour, points[-1].hour
    values = [p.beds for p in points if p.beds is not None]
    hi = max([*values, 1.0])
    bottom = PANEL_HEIGHT - 26

    def y(beds: float) -> float:
        return TOP + (hi - beds) / hi * (bottom - TOP)

    def lines(series: list, dashed: bool) -> list[str]:  # type: ignore[type-arg]
        runs: list[list[str]] = [[]]
        for p in series:
            if p.beds is None:
                runs.append([])
            else:
                runs[-1].append(f"{_x(p.hour, start, end):.1f},{y(p.beds):.1f}")
        dash = ' stroke-dasharray="5 4"' if dashed else ""
        return [f'<polyline class="line" points="{" ".join(run)}"{dash}/>' for run in runs if run]

    return "".join(
        [
            f'<svg class="chart" viewBox="0 0 {WIDTH} {PANEL_HEIGHT}" role="img" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>',
            f"<desc>{escape(note)}</desc>",
            f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" '
            f'height="{bottom - TOP}"/>',
            f'<text class="tick" x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{hi:.0f}</text>',
            f'<text class="tick" x="{LEFT - 6}" y="{bottom}" text-anchor="end">0</text>',
            f'<text class="series-name" x="{LEFT}" y="{TOP - 10}">{escape(unit.unit)}</text>',
            *lines(unit.census, False),
            *lines(unit.forecast, True),
            _time_axis(start, end, bottom, fmt),
            "</svg>",
        ]
    )


@router.get("/pathways")
def pathways_page(request: Request, user: PageUser, case: Case = "stay", days: int = 7) -> Response:
    """The pathway map, variants, length of stay per unit and bed occupancy."""
    from hopia.serve.web._render import time_format

    lang = language(request)
    pt = labels(lang)
    fmt = time_format(lang)
    state = state_of(request)
    days = min(max(days, 1), 28)
    try:
        with state.warehouses.checkout() as wh:
            found = pathway_map(state, wh, case)
            variants = pathway_variants(state, wh, case, 15)
            durations = unit_durations(state, wh)
            occupancy = unit_occupancy(state, wh, days)
    except WarehouseUnavailable:
        return render(
            request, "error.html", {"message": "no_warehouse"}, user=user, status_code=503
        )
    charts = []
    for unit in occupancy.units:
        note = pt(
            "occupancy_note",
            model="—" if unit.mae_forecast is None else f"{unit.mae_forecast:.2f}",
            naive="—" if unit.mae_seasonal_naive is None else f"{unit.mae_seasonal_naive:.2f}",
        )
        svg = occupancy_svg(unit, label=f"{pt('occupancy')} — {unit.unit}", fmt=fmt, note=note)
        charts.append((Markup(svg), note))  # built from escaped text only
    context = {
        "active": "pathways",
        "pt": pt,
        "case": case,
        "map_svg": Markup(map_svg(found, pt("map"))) if found.edges else None,
        "variants": variants,
        "durations": durations,
        "charts": charts,
    }
    return render(request, "pathways.html", context, user=user)
