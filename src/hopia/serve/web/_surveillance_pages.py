"""The surveillance page: each syndrome's emergency visits, upper bound and alarms, and the
list of open alarms (aggregates, any signed-in role; age bands' small counts masked).

Charts are inline SVG without scripts or style attributes (the pages' Content-Security-Policy):
the counts as a line, the method's upper bound as a dashed line, alarms as red marks.

Examples
--------
>>> import datetime as dt
>>> from hopia.serve.api.surveillance import SurveillancePoint
>>> day = dt.date(2025, 1, 1)
>>> points = [SurveillancePoint(period=day + dt.timedelta(i), observed=o, upperbound=b, alarm=a)
...           for i, (o, b, a) in enumerate([(3, None, None), (4, 6.0, False), (9, 6.5, True)])]
>>> svg = surveillance_svg(points, label="ILI", name="ILI", fmt=str)
>>> svg.count("<polyline"), svg.count('class="alarm"')
(2, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from itertools import count
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from hopia.serve._state import WarehouseUnavailable
from hopia.serve.api.surveillance import (
    FrequencyQuery,
    MethodQuery,
    SurveillancePoint,
    open_alarms,
    syndrome_series,
)
from hopia.serve.web._render import PageUser, language, render, state_of

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

WIDTH, HEIGHT = 720, 170
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 30, 26
BOUND_COLOUR, ALARM_COLOUR = "#8a4b08", "#b42318"
SHOWN = {"day": 180, "week": 156}  # periods drawn per chart (the latest ones)
_ids = count()

# The page's own words (English, French).
_WORDS: dict[str, tuple[str, str]] = {
    "title": ("Syndromic surveillance", "Surveillance syndromique"),
    "intro": (
        "Emergency visits per syndrome, the upper bound of the detection method and its alarms.",
        "Passages aux urgences par syndrome, seuil supérieur de la méthode de détection et "
        "alarmes.",
    ),
    "method": ("Method", "Méthode"),
    "frequency": ("Counts", "Effectifs"),
    "day": ("daily", "quotidiens"),
    "week": ("weekly", "hebdomadaires"),
    "show": ("Show", "Afficher"),
    "open_alarms": ("Open alarms", "Alarmes en cours"),
    "no_alarm": (
        "No alarm in the last {n} periods.",
        "Aucune alarme sur les {n} dernières périodes.",
    ),
    "syndrome": ("Syndrome", "Syndrome"),
    "age_band": ("Age band", "Tranche d'âge"),
    "all_ages": ("all ages", "tous âges"),
    "period": ("Period", "Période"),
    "observed": ("Visits", "Passages"),
    "upperbound": ("Upper bound", "Seuil"),
    "series": ("Series", "Séries"),
    "no_data": (
        "No emergency visit in the warehouse.",
        "Aucun passage aux urgences dans l'entrepôt.",
    ),
    "legend": (
        "Line: visits; dashed: upper bound; red marks: alarms.",
        "Trait plein : passages ; tirets : seuil ; marques rouges : alarmes.",
    ),
    "chart_label": ("Emergency visits for {name}", "Passages aux urgences pour {name}"),
    "masked": ("masked", "masqué"),
}


def words(lang: str) -> dict[str, Callable[..., str]]:
    """The page's messages in ``lang``, as functions taking the placeholders."""
    index = 1 if lang == "fr" else 0

    def message(pair: tuple[str, str]) -> Callable[..., str]:
        return lambda **values: pair[index].format(**values)

    return {key: message(pair) for key, pair in _WORDS.items()}


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def surveillance_svg(
    points: Sequence[SurveillancePoint],
    *,
    label: str,
    name: str,
    fmt: Callable[[Any], str],
) -> str:
    """One chart: counts (line), upper bound (dashed) and alarms (red marks), by period."""
    uid = next(_ids)
    values: list[float] = [p.observed for p in points if p.observed is not None]
    values += [p.upperbound for p in points if p.upperbound is not None]
    lo, hi = 0.0, max(values, default=1.0) or 1.0
    bottom = HEIGHT - BOTTOM
    span = max(len(points) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i / span * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return TOP + (hi - value) / (hi - lo) * (bottom - TOP)

    def line(pairs: list[tuple[int, float]]) -> str:
        return " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in pairs)

    observed = [(i, float(p.observed)) for i, p in enumerate(points) if p.observed is not None]
    bound = [(i, p.upperbound) for i, p in enumerate(points) if p.upperbound is not None]
    alarms = [(i, p) for i, p in enumerate(points) if p.alarm]
    desc = f"{len(points)} periods, {len(alarms)} alarm(s)"
    if points:
        desc += f", from {fmt(points[0].period)} to {fmt(points[-1].period)}"
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="surv-t{uid} surv-d{uid}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="surv-t{uid}">{escape(label)}</title>',
        f'<desc id="surv-d{uid}">{escape(desc)}</desc>',
        f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{bottom - TOP}"/>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{escape(_number(hi))}</text>',
        f'<text class="tick" x="{LEFT - 6}" y="{bottom}" text-anchor="end">0</text>',
        f'<text class="series-name" x="{LEFT}" y="{TOP - 10}">{escape(name)}</text>',
    ]
    if len(observed) > 1:
        parts.append(f'<polyline class="line" points="{line(observed)}"/>')
    if len(bound) > 1:
        parts.append(
            f'<polyline class="bound" fill="none" stroke="{BOUND_COLOUR}" stroke-width="1.4" '
            f'stroke-dasharray="5 3" points="{line(bound)}"/>'
        )
    for i, p in alarms:
        shown = "•" if p.observed is None else str(p.observed)
        level = p.observed if p.observed is not None else (p.upperbound or hi)
        parts.append(
            f'<circle class="alarm" cx="{x(i):.1f}" cy="{y(level):.1f}" r="4" fill="{ALARM_COLOUR}">'
            f"<title>{escape(fmt(p.period))}: {escape(shown)}</title></circle>"
        )
    parts.append(
        f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}"/>'
    )
    if points:
        for i, anchor in ((0, "start"), (len(points) - 1, "end")):
            parts.append(
                f'<text class="tick" x="{x(i):.1f}" y="{bottom + 16}" text-anchor="{anchor}">'
                f"{escape(fmt(points[i].period))}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


@router.get("/surveillance")
def surveillance_page(
    request: Request,
    user: PageUser,
    method: MethodQuery = "ears-c2",
    freq: FrequencyQuery = "day",
    last: Annotated[int, Query(ge=1, le=366)] = 7,
) -> Response:
    """Open alarms and one chart per syndrome (overall series)."""
    from hopia.surveillance import METHODS
    from hopia.surveillance._series import load_syndromes

    state = state_of(request)
    lang = language(request)
    w = words(lang)
    try:
        with state.warehouses.checkout() as wh:
            alarms = open_alarms(state, wh, method, freq, last)
            series = [
                syndrome_series(state, wh, name, method, freq, "all") for name in load_syndromes()
            ]
    except WarehouseUnavailable:
        return render(
            request, "error.html", {"message": "no_warehouse"}, user=user, status_code=503
        )
    from hopia.serve.web._render import time_format

    fmt = time_format(lang)
    charts = [
        (
            s,
            surveillance_svg(
                s.points[-SHOWN[freq] :],
                label=w["chart_label"](name=s.label),
                name=s.label,
                fmt=fmt,
            ),
        )
        for s in series
        if s.points
    ]
    context = {
        "active": "surveillance",
        "w": w,
        "alarms": alarms,
        "charts": charts,
        "methods": METHODS,
        "method": method,
        "freq": freq,
        "last": last,
    }
    return render(request, "surveillance.html", context, user=user)
