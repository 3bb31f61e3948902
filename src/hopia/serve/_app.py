"""The FastAPI application: API routers, web pages, middleware and error handling.

Examples
--------
>>> from hopia.serve import ServeConfig, create_app
>>> app = create_app(ServeConfig(warehouse_url="duckdb:///none.duckdb",
...                              app_db_url="sqlite://", models_dir="models"))
>>> app.openapi()["info"]["title"]
'hopia'
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hopia import __version__
from hopia.errors import InputError
from hopia.serve._state import ServeConfig, ServeState

log = logging.getLogger("hopia.serve")

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
]


class _BodyTooLarge(Exception):
    pass


class ServiceMiddleware:
    """Request size limit, security headers, no-store caching and a privacy-safe access log.

    The access log names the route *template* (``/api/v1/patients/{person_id}/timeline``),
    never the concrete path, the query string or any body.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500, "sent": False}
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        if declared > self.max_body_bytes:
            await _send_json(
                send, 413, {"detail": f"request body over {self.max_body_bytes} bytes"}
            )
            self._log(scope, 413, started)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        cacheable = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["sent"] = True
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _SECURITY_HEADERS if k not in present]
                if not cacheable:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            if not status["sent"]:
                await _send_json(
                    send, 413, {"detail": f"request body over {self.max_body_bytes} bytes"}
                )
            status["code"] = 413
        self._log(scope, int(status["code"]), started)

    @staticmethod
    def _log(scope: Scope, code: int, started: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "(unmatched)"
        if scope.get("path", "").startswith("/api/v1/") and not template.startswith("/api/"):
            template = "/api/v1" + template
        log.info(
            "%s %s %d %.1fms", scope.get("method", "?"), template, code,
            (time.perf_counter() - started) * 1000,
        )  # fmt: skip


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *_SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _install_error_handlers(app: FastAPI) -> None:
    from hopia.serve.web import error_page

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Any:
        if _is_api(request):
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )
        return error_page(request, error.status_code, str(error.detail), error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Any:
        if not _is_api(request):
            return error_page(request, 422, "bad request")
        # The submitted values are not echoed back (they may be patient data).
        problems = [
            {
                "loc": list(item.get("loc", ())),
                "msg": item.get("msg", ""),
                "type": item.get("type", ""),
            }
            for item in error.errors()
        ]
        return JSONResponse({"detail": problems}, status_code=422)

    async def busy(request: Request, error: Exception) -> Any:
        if not overloaded(error):
            raise error  # a fault, not a crowd: the server error handler answers 500
        log.warning("app database busy: answered 503 (%s)", type(error).__name__)
        headers = {"Retry-After": "1"}
        if _is_api(request):
            return JSONResponse({"detail": BUSY}, status_code=503, headers=headers)
        return HTMLResponse(render_busy(request), status_code=503, headers=headers)

    for kind in (PoolTimeout, OperationalError, sqlite3.OperationalError):
        app.add_exception_handler(kind, busy)

    @app.exception_handler(InputError)
    async def input_error(request: Request, error: InputError) -> JSONResponse:
        return JSONResponse(
            {"detail": str(error), "place": error.place, "field": error.field, "line": error.line},
            status_code=422,
        )


BUSY = "the service is busy; retry in a moment"
"""Detail of a 503 answer when the app database cannot take the request now."""


def overloaded(error: BaseException) -> bool:
    """Whether an app-database error means "too many requests right now" rather than a
    fault: no pooled connection came free in time, or SQLite's write lock was still held
    after ``busy_timeout`` (audit records are written one at a time). Such requests get a
    503 with ``Retry-After``, and nothing of theirs was answered or half-written (the audit
    record is committed before any patient data is sent).

    >>> import sqlite3
    >>> overloaded(sqlite3.OperationalError("database is locked"))
    True
    >>> overloaded(sqlite3.OperationalError("no such table: users"))
    False
    """
    if isinstance(error, PoolTimeout):
        return True
    cause = error.orig if isinstance(error, OperationalError) else error
    text = str(cause)
    return isinstance(cause, sqlite3.OperationalError) and (
        "database is locked" in text or "database is busy" in text
    )


def render_busy(request: Request) -> str:
    """The 503 page: the "busy" message, without touching the app database (it is busy)."""
    from hopia.serve._i18n import translator
    from hopia.serve.web._render import language

    lang = language(request)
    message = translator(lang)("busy")
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>hopia</title></head><body><main><p>{message}</p></main></body></html>"
    )


CONFIG_ENV = "HOPIA_SERVE_CONFIG"
"""Environment variable through which ``hopia serve --workers N`` hands its configuration
to the worker processes."""


def config_to_environment(config: ServeConfig) -> str:
    """The settings of a service as JSON, for :func:`app_from_environment` in a worker."""
    return json.dumps(
        {
            "warehouse_url": config.warehouse_url,
            "app_db_url": config.app_db_url,
            "models_dir": str(config.models_dir),
            "min_cell": config.min_cell,
            "secure_cookies": config.secure_cookies,
            "max_body_bytes": config.max_body_bytes,
            "key": config.key.hex(),
        }
    )


def app_from_environment() -> FastAPI:
    """The service of a worker process started by ``hopia serve --workers N``."""
    import os

    values = json.loads(os.environ[CONFIG_ENV])
    values["key"] = bytes.fromhex(values["key"])
    return create_app(ServeConfig(**values))


def create_app(config: ServeConfig | None = None) -> FastAPI:
    """Build the hopia service.

    Parameters
    ----------
    config
        Service settings (default: from the ``HOPIA_*`` settings).

    Returns
    -------
    FastAPI
        The application: ``/api/v1/…`` (JSON, bearer tokens), pages at ``/`` (cookies),
        ``/static/…`` assets, ``/api/v1/openapi.json`` (no Swagger UI: it would need a CDN).
    """
    from hopia.serve.api import api_router
    from hopia.serve.web import install_web

    config = config or ServeConfig.from_settings()
    state = ServeState(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=state.warm_up, name="hopia-warm-up", daemon=True).start()
        yield
        state.close()

    app = FastAPI(
        title="hopia",
        version=__version__,
        description="Scoring API of hopia: warehouse summary, models, patient timelines, "
        "predictions. Patient-level endpoints need a clinician or data_scientist token and "
        "are audited.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.hopia = state
    app.include_router(api_router, prefix="/api/v1")
    install_web(app)
    _install_error_handlers(app)
    app.add_middleware(ServiceMiddleware, max_body_bytes=config.max_body_bytes)
    return app
