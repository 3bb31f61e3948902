"""Request and response models of the API (the OpenAPI document is built from them).

Examples
--------
>>> Health(status="ok", version="0.1.0", warehouse=False).status
'ok'
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema


def _naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        raise ValueError("expected a naive local time without a UTC offset (as in OMOP)")
    return value


LocalTime = Annotated[
    dt.datetime,
    AfterValidator(_naive),
    WithJsonSchema(
        {
            "type": "string",
            "format": "local-date-time",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$",
            "description": "Naive local hospital time, ISO 8601 without offset (as in OMOP).",
        }
    ),
]
"""A naive local time (hopia never mixes time zones; RFC 3339 ``date-time`` needs an offset)."""


class Problem(BaseModel):
    """An error: what was wrong with the request."""

    detail: str | list[dict[str, Any]]


class Health(BaseModel):
    """Liveness of the service."""

    status: Literal["ok"]
    version: str
    warehouse: bool = Field(description="Whether a warehouse can be opened.")


class Span(BaseModel):
    """First and last dates of the visits."""

    start: str | None = None
    end: str | None = None


class WarehouseSummary(BaseModel):
    """Rows per table and time span of the warehouse (small counts masked as ``null``)."""

    engine: str
    snapshot_id: str
    source: str
    persons: int | None
    tables: dict[str, int | None]
    masked_below: int = Field(description="Counts below this are reported as null.")
    span: Span


class PersonInfo(BaseModel):
    """What the timeline shows of a person (no name, no address, no identifier but the id)."""

    person_id: int
    sex: str | None = None
    year_of_birth: int | None = None
    death_time: LocalTime | None = None


class Stay(BaseModel):
    """One visit (hospital stay, emergency visit, consultation)."""

    visit_occurrence_id: int | None
    kind: str = Field(description="Visit code, e.g. VISIT/IP, VISIT/ER.")
    start: LocalTime
    end: LocalTime | None = None


class UnitStay(BaseModel):
    """Time spent in one care unit during a stay."""

    unit: str
    start: LocalTime
    end: LocalTime | None = None
    visit_occurrence_id: int | None = None


class Point(BaseModel):
    """One measured value."""

    time: LocalTime
    value: float


class Series(BaseModel):
    """The values of one lab test or vital sign over time."""

    code: str = Field(description="VOCAB/CODE, e.g. LOINC/8867-4.")
    name: str
    key: str | None = Field(None, description="hopia's short name (heart_rate, creatinine …).")
    unit: str | None = None
    points: list[Point]


class Diagnosis(BaseModel):
    """A recorded condition."""

    code: str
    name: str | None = None
    time: LocalTime
    visit_occurrence_id: int | None = None


class Timeline(BaseModel):
    """A person's stays, care units, key labs and vital signs, and diagnoses."""

    person: PersonInfo
    stays: list[Stay]
    units: list[UnitStay]
    measurements: list[Series]
    diagnoses: list[Diagnosis]


class AttritionStep(BaseModel):
    """One step of a task's cohort building (counts below the threshold are null)."""

    step: str
    kept: int | None
    removed: int | None


class Attrition(BaseModel):
    """How many rows each step of a task's population definition kept and removed."""

    task: str
    masked_below: int
    start: int | None = Field(description="Rows before the first step.")
    steps: list[AttritionStep]


class TaskInfo(BaseModel):
    """A prediction task."""

    name: str
    description: str = ""


class ModelInfo(BaseModel):
    """A registered model."""

    model_config = ConfigDict(protected_namespaces=())

    task: str
    version: str
    created: str | None = None
    estimator: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    has_report: bool = False


class ModelDetail(ModelInfo):
    """A registered model with its card and manifest."""

    card: dict[str, Any] = Field(default_factory=dict)
    manifest: dict[str, Any] = Field(default_factory=dict)
    feature_count: int | None = None


class PersonPredictRequest(BaseModel):
    """Score one person of the warehouse at a time."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    person_id: int = Field(ge=0, le=2**63 - 1)
    index_time: LocalTime | None = Field(
        None,
        description="Prediction time (naive local time). Default: the person's latest index "
        "time for this task, else their latest recorded event.",
    )
    model_version: str | None = Field(None, description="Default: the latest version.")


class FhirBundleRequest(BaseModel):
    """A FHIR R4 Bundle holding one patient's resources, to score without the warehouse."""

    model_config = ConfigDict(extra="allow")

    resourceType: Literal["Bundle"]
    type: str | None = None
    entry: list[dict[str, Any]] = Field(default_factory=list, max_length=50_000)


class Factor(BaseModel):
    """One feature's contribution to a risk, in words."""

    feature: str
    text: str = Field(description="The feature in plain words.")
    value: float | None = None
    contribution: float = Field(description="Contribution to the log-odds (positive raises risk).")
    direction: Literal["raises", "lowers"]


class Prediction(BaseModel):
    """A calibrated risk for one person at one time."""

    model_config = ConfigDict(protected_namespaces=())

    task: str
    model_version: str
    person_id: int | None
    index_time: LocalTime
    risk: float = Field(ge=0, le=1, description="Calibrated probability of the outcome.")
    factors: list[Factor]
