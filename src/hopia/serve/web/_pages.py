"""Server-rendered pages: sign-in, overview, patient search and patient view, sign-out."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from hopia.serve._accounts import authenticate, close_session, open_session
from hopia.serve._state import WarehouseUnavailable
from hopia.serve._timeline import UnknownPerson, patient_timeline
from hopia.serve.api.warehouse import masked_summary
from hopia.serve.db import PATIENT_ROLES
from hopia.serve.deps import AuditTrail, client_address
from hopia.serve.schemas import Stay, Timeline
from hopia.serve.web._chart import series_svg, units_svg
from hopia.serve.web._render import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    MaybeUser,
    PageDb,
    PageUser,
    form_is_authentic,
    language,
    redirect,
    render,
    safe_next,
    set_cookie,
    state_of,
    time_format,
)
from hopia.serve.web._risks import patient_risks

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/login")
def login_form(request: Request, user: MaybeUser, next: str = "/") -> Response:
    """The sign-in form."""
    if user is not None:
        return redirect(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next)})


@router.post("/login")
def login(
    request: Request,
    db: PageDb,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    """Check the credentials, open a session, go on to ``next``."""
    if not form_is_authentic(request, csrf_token):
        return render(
            request, "login.html", {"error": "bad_form", "next": safe_next(next)}, status_code=400
        )
    user = authenticate(db, username, password)
    if user is None:
        return render(
            request, "login.html", {"error": "bad_login", "next": safe_next(next)}, status_code=401
        )
    response = redirect(safe_next(next))
    set_cookie(request, response, SESSION_COOKIE, open_session(db, user), samesite="lax")
    # A fresh CSRF nonce after sign-in (a nonce planted before sign-in is worth nothing after).
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(
    request: Request, db: PageDb, csrf_token: Annotated[str, Form(max_length=128)] = ""
) -> Response:
    """End the session."""
    if not form_is_authentic(request, csrf_token):
        return render(request, "error.html", {"message": "bad_form"}, status_code=400)
    value = request.cookies.get(SESSION_COOKIE)
    if value:
        close_session(db, value)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/")
def overview(request: Request, user: PageUser) -> Response:
    """Warehouse summary and data-quality status."""
    state = state_of(request)
    context: dict[str, Any] = {"active": "overview", "summary": None, "quality": None}
    try:
        with state.warehouses.checkout() as wh:
            context["summary"] = masked_summary(state, wh)
            context["quality"] = _quality(state, wh)
    except WarehouseUnavailable:
        pass
    return render(request, "overview.html", context, user=user)


def _quality(state: Any, wh: Any) -> list[dict[str, Any]] | None:
    """Data-quality results, cached per warehouse version (checks scan whole tables)."""
    try:
        from hopia.warehouse import run_quality_checks  # type: ignore[attr-defined]
    except ImportError:
        return None
    cache = state.warehouses.cache_of(wh)
    if "quality" not in cache:
        cache["quality"] = [r.as_dict() for r in run_quality_checks(wh)]
    cached = cache["quality"]
    return cached if isinstance(cached, list) else None


@router.get("/patients")
def patient_search(request: Request, user: PageUser, person_id: str = "") -> Response:
    """A box to open a patient by identifier."""
    if person_id.strip():
        if person_id.strip().isdigit() and len(person_id.strip()) < 19:
            return redirect(f"/patients/{int(person_id)}")
        return render(
            request, "patients.html", {"active": "patients", "error": "unknown_person"},
            user=user, status_code=422,
        )  # fmt: skip
    return render(request, "patients.html", {"active": "patients"}, user=user)


def _focus(timeline: Timeline, stay_id: int | None) -> tuple[Stay | None, dt.datetime, dt.datetime]:
    """The stay the charts show (asked for, else the latest with measurements) and its window."""
    stay = None
    times = [p.time for series in timeline.measurements for p in series.points]
    if timeline.stays:
        chosen = [s for s in timeline.stays if s.visit_occurrence_id == stay_id]
        # By default the latest stay with measurements (a later consultation shows nothing).
        measured = [
            s for s in timeline.stays
            if any(s.start <= t and (s.end is None or t <= s.end) for t in times)
        ]  # fmt: skip
        stay = chosen[0] if chosen else max(measured or timeline.stays, key=lambda s: s.start)
    if stay is not None:
        start = stay.start
        inside = [t for t in times if t >= start and (stay.end is None or t <= stay.end)]
        end = stay.end or max(inside, default=start + dt.timedelta(days=1))
    else:
        start = min(times, default=dt.datetime(2000, 1, 1))
        end = max(times, default=start + dt.timedelta(days=1))
    if end <= start:
        end = start + dt.timedelta(hours=1)
    return stay, start, end


@router.get("/patients/{person_id}")
def patient_view(
    request: Request, person_id: int, user: PageUser, db: PageDb, stay: int | None = None
) -> Response:
    """Timeline of stays and units, key labs and vitals, and the risk of each applicable model."""
    audit = AuditTrail(db, user, client_address(request), "web")
    if person_id < 0 or person_id >= 2**63:
        return render(
            request, "error.html", {"message": "unknown_person"}, user=user, status_code=404
        )
    if user.role not in PATIENT_ROLES:
        audit.refused(person_id, "patient-page", f"role {user.role} may not read patient data")
        return render(request, "error.html", {"message": "forbidden"}, user=user, status_code=403)
    state = state_of(request)
    try:
        with state.warehouses.checkout() as wh:
            timeline = patient_timeline(wh, person_id, state.warehouses.cache_of(wh))
            risks = patient_risks(state, wh, person_id, language(request))
    except UnknownPerson:
        audit.refused(person_id, "patient-page", "unknown person")
        return render(
            request, "error.html", {"message": "unknown_person"}, user=user, status_code=404
        )
    except WarehouseUnavailable:
        return render(
            request, "error.html", {"message": "no_warehouse"}, user=user, status_code=503
        )
    audit.read(person_id, "patient-page")
    lang = language(request)
    t = _t(request)
    fmt = time_format(lang)
    focus, start, end = _focus(timeline, stay)
    charts = [
        Markup(
            series_svg(
                series, start, end, fmt=fmt,
                name=t(series.key) if series.key else series.name,
                label=t("chart_label", name=t(series.key) if series.key else series.name),
            )
        )
        for series in timeline.measurements
        if any(start <= p.time <= end for p in series.points)
    ]  # fmt: skip
    units = [
        u
        for u in timeline.units
        if focus is None or u.visit_occurrence_id == focus.visit_occurrence_id
    ]
    band = Markup(units_svg(units, start, end, fmt=fmt, label=t("timeline_label")))
    context = {
        "active": "patients",
        "timeline": timeline,
        "focus": focus,
        "charts": charts,
        "band": band,
        "units": units,
        "risks": risks,
    }
    return render(request, "patient.html", context, user=user)


def _t(request: Request) -> Any:
    from hopia.serve._i18n import translator

    return translator(language(request))


def login_redirect(request: Request, next_path: str) -> RedirectResponse:
    """Where a page without a session sends the browser."""
    from urllib.parse import quote

    return RedirectResponse(f"/login?next={quote(next_path)}", status_code=303)
