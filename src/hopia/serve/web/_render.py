"""Rendering pages: templates, language, cookies, CSRF and the signed-in user.

Cookies: ``hopia_session`` (the browser session, HttpOnly, SameSite=Lax), ``hopia_csrf``
(a random nonce, HttpOnly, SameSite=Strict; forms carry ``HMAC(key, nonce)``) and
``hopia_lang``. All get the ``Secure`` flag unless the service runs with
``secure_cookies=False`` (plain-HTTP tests on loopback).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator, Mapping
from importlib.resources import files
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from hopia.serve._accounts import csrf_token, csrf_valid, user_for_session
from hopia.serve._i18n import LANGUAGES, pick_language, translator
from hopia.serve._state import ServeState
from hopia.serve.db import User

SESSION_COOKIE = "hopia_session"
CSRF_COOKIE = "hopia_csrf"
LANG_COOKIE = "hopia_lang"

templates = Jinja2Templates(directory=str(files("hopia.serve.web") / "templates"))


class LoginRequired(Exception):
    """The page needs a signed-in user; the handler redirects to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__("login required")
        self.next_path = next_path


def state_of(request: Request) -> ServeState:
    """The service state."""
    return request.app.state.hopia


def page_db(request: Request) -> Iterator[Session]:
    """A database session for one page request."""
    with state_of(request).sessions() as db:
        yield db


PageDb = Annotated[Session, Depends(page_db)]


def optional_user(request: Request, db: PageDb) -> User | None:
    """The browser's signed-in user, if any."""
    value = request.cookies.get(SESSION_COOKIE)
    return user_for_session(db, value) if value else None


def required_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The browser's signed-in user; otherwise redirect to the login page."""
    if user is None:
        raise LoginRequired(request.url.path)
    return user


PageUser = Annotated[User, Depends(required_user)]
MaybeUser = Annotated[User | None, Depends(optional_user)]


def language(request: Request) -> str:
    """The page language (query, cookie, Accept-Language)."""
    return pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def time_format(lang: str) -> Any:
    """A function formatting times for this language."""

    def fmt(value: dt.datetime | dt.date | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, dt.datetime):
            return value.strftime("%d/%m/%Y %H:%M" if lang == "fr" else "%Y-%m-%d %H:%M")
        return value.strftime("%d/%m/%Y" if lang == "fr" else "%Y-%m-%d")

    return fmt


def set_cookie(request: Request, response: Response, name: str, value: str, **kwargs: Any) -> None:
    """Set a cookie with the service's flags (HttpOnly, Secure as configured)."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        secure=state_of(request).config.secure_cookies,
        path="/",
        **kwargs,
    )


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    user: User | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page with the shared context (``t``, ``lang``, ``user``, ``csrf_token``, ``fmt``)."""
    state = state_of(request)
    lang = language(request)
    nonce = request.cookies.get(CSRF_COOKIE)
    new_nonce = nonce is None or len(nonce) > 64
    if new_nonce:
        nonce = secrets.token_urlsafe(16)
    assert nonce is not None
    lang_urls = {}
    for code in LANGUAGES:
        url = request.url.include_query_params(lang=code)
        lang_urls[code] = f"{url.path}?{url.query}"
    full = {
        "t": translator(lang),
        "lang": lang,
        "lang_urls": lang_urls,
        "user": user,
        "csrf_token": csrf_token(state.config.key, nonce),
        "fmt": time_format(lang),
        "min_cell": state.config.min_cell,
        "path": request.url.path,
        **(context or {}),
    }
    response = templates.TemplateResponse(
        request, template, full, status_code=status_code, headers=dict(headers or {})
    )
    if new_nonce:
        set_cookie(request, response, CSRF_COOKIE, nonce, samesite="strict")
    if request.query_params.get("lang") in LANGUAGES:
        set_cookie(request, response, LANG_COOKIE, lang, samesite="lax", max_age=365 * 24 * 3600)
    return response


def form_is_authentic(request: Request, token: str | None) -> bool:
    """Whether a submitted form's CSRF token matches this browser's nonce cookie."""
    return csrf_valid(state_of(request).config.key, request.cookies.get(CSRF_COOKIE), token)


def redirect(path: str) -> RedirectResponse:
    """A 303 redirect to a path of this site."""
    return RedirectResponse(path, status_code=303)


def safe_next(path: str | None) -> str:
    """A post-login destination: a local path only (never another site)."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/"
