"""``POST /tasks/{task}/predict``: calibrated risk of one person at one time, with the top
contributing factors in plain words.

The body names a person of the warehouse (``person_id``, optional ``index_time``) or is a
FHIR R4 Bundle of one patient, mapped into a temporary warehouse. Patient-level: clinician
or data_scientist; every successful prediction is audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException
from fastapi.responses import Response

from hopia.serve._features import NotApplicable
from hopia.serve._scoring import bundle_warehouse, latest, predict_person
from hopia.serve._timeline import UnknownPerson, person_info
from hopia.serve.api.tasks import TaskName
from hopia.serve.deps import Audit, PatientReader, State, WarehouseDep
from hopia.serve.schemas import FhirBundleRequest, PersonPredictRequest, Prediction, Problem

router = APIRouter(tags=["predictions"])

PredictBody = Annotated[
    PersonPredictRequest | FhirBundleRequest,
    Body(description="A person of the warehouse, or a FHIR R4 Bundle of one patient."),
]


@router.post(
    "/tasks/{task}/predict",
    response_model=Prediction,
    responses={
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
        503: {"model": Problem},
    },
)
def predict(
    task: TaskName,
    body: PredictBody,
    user: PatientReader,
    audit: Audit,
    state: State,
    wh: WarehouseDep,
) -> Response:
    """Risk of the task's outcome for one person, from the latest registered model."""
    model = latest(state.models(), task, getattr(body, "model_version", None))
    if model is None:
        raise HTTPException(status_code=404, detail=f"no registered model for task {task!r}")
    if isinstance(body, FhirBundleRequest):
        with bundle_warehouse(body.model_dump(mode="json")) as (bundle_wh, person_id):
            try:
                result = predict_person(
                    bundle_wh, model, person_id, None, None, report_person=False
                )
            except NotApplicable:
                raise HTTPException(
                    status_code=404, detail="the bundle's patient is not in this task's population"
                ) from None
        audit.read(None, f"prediction:{task}:fhir-bundle", subtype="predict")
        return prediction_response(result)
    cache = state.warehouses.cache_of(wh)
    try:
        result = predict_person(wh, model, body.person_id, body.index_time, cache)
    except NotApplicable:
        try:  # only now: a person of the population exists
            person_info(wh, body.person_id, cache)
        except UnknownPerson:
            audit.refused(body.person_id, f"prediction:{task}", "unknown person")
            raise HTTPException(status_code=404, detail="no person with this identifier") from None
        audit.refused(body.person_id, f"prediction:{task}", "not in the task's population")
        raise HTTPException(
            status_code=404, detail="the person is not in this task's population at that time"
        ) from None
    audit.read(body.person_id, f"prediction:{task}", subtype="predict")
    return prediction_response(result)


def prediction_response(prediction: Prediction) -> Response:
    """The JSON FastAPI would send for ``response_model=Prediction`` (the same pydantic
    serializer), made here: FastAPI would validate the model again, in another thread."""
    return Response(prediction.model_dump_json(by_alias=True), media_type="application/json")
