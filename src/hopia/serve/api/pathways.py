"""``GET /pathways/{map,variants,durations,occupancy}``: patient pathways of the warehouse
(aggregates, any signed-in role; counts below ``min_cell`` masked, and so are the waiting
times and durations of masked groups, which would otherwise describe a few patients).

Each result is computed by :mod:`hopia.pathways` in the engine and cached per warehouse
version (:mod:`hopia.serve._pathways_view`), like the other aggregates of the service; the
response models are in :mod:`hopia.serve._pathways_schemas`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from hopia.serve._pathways_schemas import (
    CaseKind,
    CensusPoint,
    Durations,
    Edge,
    Endpoint,
    Occupancy,
    PathwayMap,
    UnitDuration,
    UnitOccupancy,
    Variant,
    Variants,
)
from hopia.serve._pathways_view import (
    event_log,
    pathway_map,
    pathway_variants,
    unit_durations,
    unit_occupancy,
)
from hopia.serve.deps import CurrentUser, State, WarehouseDep
from hopia.serve.schemas import Problem

router = APIRouter(prefix="/pathways", tags=["pathways"])

CaseQuery = Annotated[CaseKind, Query(description="One case per stay or per person.")]
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Problem}, 503: {"model": Problem}}


@router.get("/map", response_model=PathwayMap, responses=_ERRORS)
def get_map(
    user: CurrentUser, state: State, wh: WarehouseDep, case: CaseQuery = "stay"
) -> PathwayMap:
    """The pathway map: consecutive steps with counts and waiting times, start and end steps."""
    return pathway_map(state, wh, case)


@router.get("/variants", response_model=Variants, responses=_ERRORS)
def get_variants(
    user: CurrentUser,
    state: State,
    wh: WarehouseDep,
    case: CaseQuery = "stay",
    limit: Annotated[int, Query(ge=1, le=500, description="How many variants.")] = 20,
) -> Variants:
    """The most frequent variants (ordered activities) with their number of cases."""
    return pathway_variants(state, wh, case, limit)


@router.get("/durations", response_model=Durations, responses=_ERRORS)
def get_durations(user: CurrentUser, state: State, wh: WarehouseDep) -> Durations:
    """Length of stay per care unit: number of stays, mean, median and 90th percentile."""
    return unit_durations(state, wh)


@router.get("/occupancy", response_model=Occupancy, responses=_ERRORS)
def get_occupancy(
    user: CurrentUser,
    state: State,
    wh: WarehouseDep,
    days: Annotated[int, Query(ge=1, le=28, description="Days of census history.")] = 7,
) -> Occupancy:
    """Hourly beds occupied per unit (last ``days`` days) and the next 7 days' forecast, with
    the forecast's error and the seasonal-naive forecast's error on the last week."""
    return unit_occupancy(state, wh, days)


__all__ = [
    "CaseKind",
    "CensusPoint",
    "Durations",
    "Edge",
    "Endpoint",
    "Occupancy",
    "PathwayMap",
    "UnitDuration",
    "UnitOccupancy",
    "Variant",
    "Variants",
    "event_log",
    "pathway_map",
    "pathway_variants",
    "router",
    "unit_durations",
    "unit_occupancy",
]
