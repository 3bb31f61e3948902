"""The web pages: Jinja2 templates and static assets served from the package (no CDN)."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from types import ModuleType

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from hopia.serve.web._pages import login_redirect
from hopia.serve.web._pages import router as pages_router
from hopia.serve.web._render import LoginRequired, optional_user, page_db, render

_MESSAGES = {403: "forbidden", 404: "not_found", 503: "busy"}


def error_page(
    request: Request, status_code: int, detail: str, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    """An error page in the browser's language (the detail is not shown: it is for the API)."""
    user = None
    for db in page_db(request):
        user = optional_user(request, db)
    message = _MESSAGES.get(status_code, "not_found" if status_code == 405 else "bad_form")
    return render(request, "error.html", {"message": message}, user=user, status_code=status_code)


def install_web(app: FastAPI) -> None:
    """Add the pages, the static assets and the sign-in redirect to an application."""
    app.include_router(pages_router)
    for module in _page_modules():
        app.include_router(module.router)
    app.mount(
        "/static", StaticFiles(directory=str(files("hopia.serve.web") / "static")), name="static"
    )

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, error: LoginRequired) -> HTMLResponse:
        return login_redirect(request, error.next_path)  # type: ignore[return-value]


def _page_modules() -> list[ModuleType]:
    from hopia.serve.web import _model_pages, _pathway_pages, _surveillance_pages, _task_pages

    return [_model_pages, _task_pages, _pathway_pages, _surveillance_pages]


__all__ = ["error_page", "install_web"]
