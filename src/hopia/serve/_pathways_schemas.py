"""Response models of the pathways API (``/api/v1/pathways``): the OpenAPI contract."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from hopia.serve.schemas import LocalTime

CaseKind = Literal["stay", "person"]


class Edge(BaseModel):
    """Consecutive steps ``source`` → ``target``; waits in seconds (null when masked)."""

    source: str
    target: str
    count: int | None
    cases: int | None
    mean_seconds: float | None
    median_seconds: float | None


class Endpoint(BaseModel):
    """How many cases start (or end) with an activity."""

    activity: str
    cases: int | None


class PathwayMap(BaseModel):
    """The directly-follows graph (pathway map) of the warehouse."""

    case: CaseKind
    masked_below: int
    edges: list[Edge]
    start: list[Endpoint]
    end: list[Endpoint]


class Variant(BaseModel):
    """A variant: the ordered activities of its cases."""

    steps: list[str]
    cases: int | None
    share: float | None = Field(description="Share of all cases (null when masked).")


class Variants(BaseModel):
    """The most frequent variants."""

    case: CaseKind
    masked_below: int
    variants_total: int
    variants: list[Variant]


class UnitDuration(BaseModel):
    """Length of the stays in a unit, in hours (null when the number of stays is masked)."""

    unit: str
    stays: int | None
    mean_hours: float | None
    median_hours: float | None
    p90_hours: float | None


class Durations(BaseModel):
    """Length of stay per care unit."""

    masked_below: int
    units: list[UnitDuration]


class CensusPoint(BaseModel):
    """Beds occupied at a whole hour (null when under the threshold)."""

    hour: LocalTime
    beds: float | None


class UnitOccupancy(BaseModel):
    """A unit's recent hourly census, its 7-day forecast and the forecast's back-test error."""

    unit: str
    census: list[CensusPoint]
    forecast: list[CensusPoint]
    mae_forecast: float | None
    mae_seasonal_naive: float | None


class Occupancy(BaseModel):
    """Hourly bed census per unit and forecast."""

    masked_below: int
    days: int
    horizon_hours: int
    units: list[UnitOccupancy]
