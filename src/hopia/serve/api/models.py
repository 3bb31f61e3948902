"""``GET /models`` and ``GET /models/{task}/{version}``: registered models, metrics, card
(aggregates, any signed-in role)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from hopia.serve._scoring import RegisteredModel, latest
from hopia.serve.deps import CurrentUser, State
from hopia.serve.schemas import ModelDetail, ModelInfo, Problem

router = APIRouter(tags=["models"])

TaskName = Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")]
Version = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]


def model_info(model: RegisteredModel) -> ModelInfo:
    """What the model list shows."""
    return ModelInfo(
        task=model.task,
        version=model.version,
        created=model.created,
        estimator=model.estimator,
        metrics=model.metrics,
        has_report=bool(model.report_path and model.report_path.is_file()),
    )


def model_detail(model: RegisteredModel) -> ModelDetail:
    """What the model page shows."""
    return ModelDetail(
        **model_info(model).model_dump(),
        card=model.card,
        manifest=model.manifest,
        feature_count=len(model.feature_names),
    )


@router.get("/models", response_model=list[ModelInfo], responses={401: {"model": Problem}})
def models(user: CurrentUser, state: State) -> list[ModelInfo]:
    """Every registered model, by task and version."""
    return [model_info(m) for m in sorted(state.models(), key=lambda m: (m.task, m.version))]


@router.get(
    "/models/{task}/{version}",
    response_model=ModelDetail,
    responses={401: {"model": Problem}, 404: {"model": Problem}},
)
def model(task: TaskName, version: Version, user: CurrentUser, state: State) -> ModelDetail:
    """One model: metrics, model card, manifest (data snapshot, code and library versions)."""
    found = latest(state.models(), task, version)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no model {task} version {version}")
    return model_detail(found)
