"""Pages of the registered models: the list, each model's card and its evaluation report."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from hopia.serve._scoring import latest
from hopia.serve.api.models import model_detail, model_info
from hopia.serve.web._render import PageUser, render, state_of

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

# The report is a self-contained HTML file written by the evaluation stage: it may carry its
# own inline styles and SVG, but never scripts, frames or outside resources.
_REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


@router.get("/models")
def model_list(request: Request, user: PageUser) -> Response:
    """Every registered model with its headline metrics."""
    models = [
        model_info(m) for m in sorted(state_of(request).models(), key=lambda m: (m.task, m.version))
    ]
    return render(request, "models.html", {"active": "models", "models": models}, user=user)


@router.get("/models/{task}/{version}")
def model_card(request: Request, task: str, version: str, user: PageUser) -> Response:
    """A model's card, metrics and manifest."""
    found = latest(state_of(request).models(), task, version)
    if found is None:
        raise HTTPException(status_code=404, detail="unknown model")
    return render(
        request, "model.html", {"active": "models", "model": model_detail(found)}, user=user
    )


@router.get("/models/{task}/{version}/report")
def model_report(request: Request, task: str, version: str, user: PageUser) -> Response:
    """The model's evaluation report (aggregates only)."""
    found = latest(state_of(request).models(), task, version)
    if found is None or found.report_path is None or not found.report_path.is_file():
        raise HTTPException(status_code=404, detail="no report for this model")
    return FileResponse(
        found.report_path, media_type="text/html", headers={"content-security-policy": _REPORT_CSP}
    )
