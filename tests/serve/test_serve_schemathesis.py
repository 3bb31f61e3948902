"""Property-based tests of the API against its own OpenAPI document (schemathesis).

Every generated request (with a clinician's token) must get no 5xx and a response that
conforms to the document: status code, content type, headers and body schema. (The
operations are driven through ``as_strategy`` because schemathesis' fixture loader does not
run under pytest 9.)
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi import checks as openapi_checks
from serve_support import Service

CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]


def test_api_conforms_to_its_openapi_document(service: Service) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", service.client.app)
    headers = service.headers("clinician")
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        conforms()
        tested.append(operation.label)
    assert "GET /api/v1/patients/{person_id}/timeline" in tested
