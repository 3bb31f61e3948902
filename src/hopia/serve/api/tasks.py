"""``GET /tasks`` and ``GET /tasks/{task}/attrition``: prediction tasks and how their
population was narrowed down (aggregates, any signed-in role; small counts masked)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from hopia.errors import InputError
from hopia.serve._attrition import mask_attrition
from hopia.serve._state import ServeState
from hopia.serve.deps import CurrentUser, State, WarehouseDep
from hopia.serve.schemas import Attrition, Problem, TaskInfo
from hopia.warehouse import Warehouse

router = APIRouter(tags=["tasks"])

TaskName = Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$", description="Task name.")]


def known_tasks() -> dict[str, str]:
    """Built-in task names and their descriptions."""
    from hopia.tasks import list_tasks, load_task

    return {name: load_task(name).description.strip() for name in list_tasks()}


def load_known_task(name: str):  # type: ignore[no-untyped-def]
    """The built-in task ``name``; 404 when there is none (file paths are never accepted)."""
    from hopia.tasks import list_tasks, load_task

    if name not in list_tasks():
        raise HTTPException(status_code=404, detail=f"no task called {name!r}")
    return load_task(name)


def task_attrition(state: ServeState, wh: Warehouse, name: str) -> Attrition:
    """A task's attrition on the warehouse, masked, cached per warehouse version."""
    from hopia.tasks import build_labels

    cache = state.warehouses.cache_of(wh)
    key = ("attrition", name, state.config.min_cell)
    cached = cache.get(key)
    if isinstance(cached, Attrition):
        return cached
    task = load_known_task(name)
    try:
        frame = build_labels(wh, task).attrition
    except InputError as error:
        raise HTTPException(
            status_code=409, detail=f"the warehouse cannot build this task: {error}"
        ) from None
    steps = [
        (str(row["step"]), int(row["rows_before"]), int(row["rows_after"]))
        for row in frame.to_dict("records")
    ]
    start, masked = mask_attrition(steps, state.config.min_cell)
    result = Attrition(task=name, masked_below=state.config.min_cell, start=start, steps=masked)
    cache[key] = result
    return result


@router.get("/tasks", response_model=list[TaskInfo], responses={401: {"model": Problem}})
def tasks(user: CurrentUser) -> list[TaskInfo]:
    """The prediction tasks hopia knows."""
    return [TaskInfo(name=name, description=text) for name, text in known_tasks().items()]


@router.get(
    "/tasks/{task}/attrition",
    response_model=Attrition,
    responses={
        401: {"model": Problem},
        404: {"model": Problem},
        409: {"model": Problem},
        503: {"model": Problem},
    },
)
def attrition(task: TaskName, user: CurrentUser, state: State, wh: WarehouseDep) -> Attrition:
    """Rows kept and removed by each step of the task's population (counts below the
    threshold are null, with complementary masking)."""
    return task_attrition(state, wh, task)
