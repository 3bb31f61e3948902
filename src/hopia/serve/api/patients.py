"""``GET /patients/{person_id}/timeline``: one person's stays, units, labs, vitals, diagnoses.

Patient-level: clinician or data_scientist only; every successful read is audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from hopia.serve._timeline import UnknownPerson, patient_timeline
from hopia.serve.deps import Audit, PatientReader, State, WarehouseDep
from hopia.serve.schemas import Problem, Timeline

router = APIRouter(tags=["patients"])

PersonId = Annotated[int, Path(ge=0, le=2**63 - 1, description="OMOP person_id.")]


@router.get(
    "/patients/{person_id}/timeline",
    response_model=Timeline,
    responses={
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
        503: {"model": Problem},
    },
)
def timeline(
    person_id: PersonId, user: PatientReader, audit: Audit, state: State, wh: WarehouseDep
) -> Timeline:
    """The person's timeline (stays, care units, key labs and vitals, diagnoses)."""
    try:
        result = patient_timeline(wh, person_id, state.warehouses.cache_of(wh))
    except UnknownPerson:
        audit.refused(person_id, "timeline", "unknown person")
        raise HTTPException(status_code=404, detail="no person with this identifier") from None
    audit.read(person_id, "timeline")
    return result
