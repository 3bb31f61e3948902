"""Authorisation of patient-level endpoints (401/403/200) and the audit record of each read."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from serve_support import Service

from hopia.serve import list_audit
from hopia.serve.deps import get_patient_reader

# One valid request per patient-level endpoint (route path → method, URL, JSON body), for a
# person of long_stay_7d's population ({p}).
PATIENT_REQUESTS: dict[str, tuple[str, str, Any]] = {
    "/api/v1/patients/{person_id}/timeline": ("GET", "/api/v1/patients/{p}/timeline", None),
    "/api/v1/tasks/{task}/predict": (
        "POST",
        "/api/v1/tasks/long_stay_7d/predict",
        {"person_id": "{p}"},
    ),
}


def _request(route: str, person: int) -> tuple[str, str, Any]:
    method, url, body = PATIENT_REQUESTS[route]
    if body is not None:
        body = {k: person if v == "{p}" else v for k, v in body.items()}
    return method, url.format(p=person), body


def _calls(dependant: Any) -> set[Any]:
    found = set()
    for dependency in dependant.dependencies:
        found.add(dependency.call)
        found |= _calls(dependency)
    return found


def _patient_routes(service: Service) -> set[str]:
    """Paths of the routes that depend on ``get_patient_reader`` (directly or not)."""
    routes = set()
    for context in iter_route_contexts(service.client.app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and get_patient_reader in _calls(route.dependant):
            routes.add(context.path)
    return routes


def test_every_patient_level_route_is_covered_here(scoring_service: Service) -> None:
    assert _patient_routes(scoring_service) == set(PATIENT_REQUESTS)


def _audit(service: Service) -> list:
    with service.client.app.state.hopia.sessions() as db:
        return list_audit(db)


@pytest.mark.parametrize("route", sorted(PATIENT_REQUESTS))
def test_no_token_is_401_and_bad_token_is_401(
    scoring_service: Service, population_person: int, route: str
) -> None:
    service = scoring_service
    method, url, body = _request(route, population_person)
    assert service.client.request(method, url, json=body).status_code == 401
    bad = {"Authorization": "Bearer hopia_not-a-token"}
    assert service.client.request(method, url, json=body, headers=bad).status_code == 401
    assert _audit(service) == []


@pytest.mark.parametrize("role", ["viewer", "admin"])
@pytest.mark.parametrize("route", sorted(PATIENT_REQUESTS))
def test_roles_without_patient_access_get_403_and_are_audited(
    scoring_service: Service, population_person: int, route: str, role: str
) -> None:
    service = scoring_service
    method, url, body = _request(route, population_person)
    response = service.client.request(method, url, json=body, headers=service.headers(role))
    assert response.status_code == 403
    records = _audit(service)
    person_in_path = population_person if "{person_id}" in route else None
    assert [(r.who, r.outcome, r.person_id) for r in records] == [(role, "4", person_in_path)]


@pytest.mark.parametrize("role", ["clinician", "data_scientist"])
@pytest.mark.parametrize("route", sorted(PATIENT_REQUESTS))
def test_patient_roles_get_200_and_one_audit_record_per_read(
    scoring_service: Service, population_person: int, route: str, role: str
) -> None:
    service = scoring_service
    method, url, body = _request(route, population_person)
    for expected in (1, 2):
        response = service.client.request(method, url, json=body, headers=service.headers(role))
        assert response.status_code == 200
        records = _audit(service)
        assert len(records) == expected
    record = records[-1]
    assert (record.who, record.role, record.person_id, record.outcome) == (
        role, role, population_person, "0",
    )  # fmt: skip
    assert record.client_address == "testclient"
    assert record.channel == "api"
    fhir = record.to_fhir()
    assert fhir["resourceType"] == "AuditEvent"
    assert fhir["entity"][0]["what"]["reference"] == f"Patient/{population_person}"
    assert fhir["agent"][0]["who"]["identifier"]["value"] == role


def test_audit_records_cannot_be_changed_or_deleted(service: Service) -> None:
    import sqlalchemy

    service.client.get("/api/v1/patients/1/timeline", headers=service.headers("clinician"))
    state = service.client.app.state.hopia
    with state.sessions() as db:
        record = list_audit(db)[0]
        record.who = "someone else"
        with pytest.raises(PermissionError):
            db.commit()
    with state.engine.begin() as con, pytest.raises(sqlalchemy.exc.DatabaseError):
        con.execute(sqlalchemy.text("DELETE FROM audit_event"))
    assert [r.who for r in _audit(service)] == ["clinician"]


def test_disabled_user_and_expired_token_lose_access(service: Service) -> None:
    from hopia.serve import disable_user

    url = "/api/v1/patients/1/timeline"
    with service.client.app.state.hopia.sessions() as db:
        disable_user(db, "clinician")
    assert service.client.get(url, headers=service.headers("clinician")).status_code == 401


def test_aggregates_are_open_to_every_role(service: Service) -> None:
    for role in ("viewer", "admin", "clinician", "data_scientist"):
        response = service.client.get("/api/v1/warehouse/summary", headers=service.headers(role))
        assert response.status_code == 200
    assert service.client.get("/api/v1/warehouse/summary").status_code == 401
    assert _audit(service) == []
