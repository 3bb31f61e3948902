"""The JSON API, one router per resource, mounted under ``/api/v1``."""

from fastapi import APIRouter

from hopia.serve.api import (
    health,
    models,
    pathways,
    patients,
    predictions,
    surveillance,
    tasks,
    warehouse,
)

api_router = APIRouter()
for _module in (health, warehouse, models, patients, predictions, tasks, pathways, surveillance):
    api_router.include_router(_module.router)

__all__ = ["api_router"]
