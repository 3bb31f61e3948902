"""Pages of the prediction tasks: the list and each task's attrition (aggregates)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from hopia.serve._state import WarehouseUnavailable
from hopia.serve.api.tasks import known_tasks, task_attrition
from hopia.serve.web._render import PageUser, render, state_of

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/tasks")
def task_list(request: Request, user: PageUser) -> Response:
    """Every task with its description and a link to its attrition."""
    return render(request, "tasks.html", {"active": "tasks", "tasks": known_tasks()}, user=user)


@router.get("/tasks/{task}")
def task_page(request: Request, task: str, user: PageUser) -> Response:
    """A task's attrition table."""
    tasks = known_tasks()
    if task not in tasks:
        raise HTTPException(status_code=404, detail="unknown task")
    state = state_of(request)
    try:
        with state.warehouses.checkout() as wh:
            result = task_attrition(state, wh, task)
    except WarehouseUnavailable:
        return render(
            request, "error.html", {"message": "no_warehouse"}, user=user, status_code=503
        )
    context = {"active": "tasks", "task": task, "description": tasks[task], "attrition": result}
    return render(request, "attrition.html", context, user=user)
