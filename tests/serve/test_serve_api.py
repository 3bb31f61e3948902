"""The JSON API: health, warehouse summary, timelines, errors, limits."""

from __future__ import annotations

from serve_support import Service, make_service


def test_health_needs_no_token_and_sees_the_warehouse(service: Service) -> None:
    body = service.client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["warehouse"] is True


def test_summary_counts_tables_and_masks_small_counts(service: Service) -> None:
    response = service.client.get("/api/v1/warehouse/summary", headers=service.headers("viewer"))
    assert response.status_code == 200
    body = response.json()
    assert body["persons"] == 3
    assert body["tables"]["measurement"] == 8
    assert body["tables"]["death"] is None  # one row, below min_cell=2
    assert body["span"]["start"].startswith("2023-06-01")
    assert "url" not in body


def test_timeline_has_stays_units_series_and_diagnoses(service: Service) -> None:
    response = service.client.get(
        "/api/v1/patients/1/timeline", headers=service.headers("clinician")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["person"] == {
        "person_id": 1,
        "sex": "male",
        "year_of_birth": 1950,
        "death_time": None,
    }
    assert [s["kind"] for s in body["stays"]] == ["VISIT/ER", "VISIT/IP"]
    assert [u["unit"] for u in body["units"]] == ["REA", "CARDIO"]
    heart = next(s for s in body["measurements"] if s["key"] == "heart_rate")
    assert [p["value"] for p in heart["points"]] == [112.0, 104.0, 95.0, 88.0, 76.0]
    assert heart["unit"] == "/min"
    assert body["diagnoses"][0]["code"] == "ICD10/I21.4"
    assert body["diagnoses"][0]["name"] == "Subendocardial infarction"


def test_timeline_of_a_dead_person_has_death_time(service: Service) -> None:
    body = service.client.get(
        "/api/v1/patients/2/timeline", headers=service.headers("clinician")
    ).json()
    assert body["person"]["death_time"] == "2024-02-03T10:00:00"


def test_unknown_person_is_404_json(service: Service) -> None:
    response = service.client.get(
        "/api/v1/patients/999/timeline", headers=service.headers("clinician")
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "no person with this identifier"}


def test_bad_types_are_422_without_echoing_input(service: Service) -> None:
    response = service.client.get(
        "/api/v1/patients/abc/timeline", headers=service.headers("clinician")
    )
    assert response.status_code == 422
    assert "abc" not in response.text


def test_oversized_body_is_413(service: Service) -> None:
    limit = service.config.max_body_bytes
    response = service.client.post(
        "/api/v1/health", content=b"x" * (limit + 1), headers=service.headers("clinician")
    )
    assert response.status_code == 413


def test_security_headers_and_no_store(service: Service) -> None:
    response = service.client.get("/api/v1/health")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


def test_missing_warehouse_is_503_not_500(tmp_path) -> None:

    svc = make_service(
        f"duckdb:///{tmp_path / 'none.duckdb'}", tmp_path / "a.sqlite", tmp_path / "m"
    )
    assert svc.client.get("/api/v1/health").json()["warehouse"] is False
    response = svc.client.get("/api/v1/warehouse/summary", headers=svc.headers("viewer"))
    assert response.status_code == 503


def test_tasks_list_and_masked_attrition(service: Service) -> None:
    tasks = service.client.get("/api/v1/tasks", headers=service.headers("viewer")).json()
    assert "inhospital_mortality" in {t["name"] for t in tasks}
    response = service.client.get(
        "/api/v1/tasks/inhospital_mortality/attrition", headers=service.headers("viewer")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["masked_below"] == 2
    assert body["steps"][0]["step"].startswith("visit type in")
    # min_cell is 2 in these tests: a step that removes one stay is masked with its kept count.
    for step in body["steps"]:
        assert step["removed"] is None or step["removed"] == 0 or abs(step["removed"]) >= 2
        assert step["kept"] is None or step["kept"] == 0 or step["kept"] >= 2
    unknown = service.client.get("/api/v1/tasks/nope/attrition", headers=service.headers("viewer"))
    assert unknown.status_code == 404
    path_like = service.client.get(
        "/api/v1/tasks/..%2Fetc/attrition", headers=service.headers("viewer")
    )
    assert path_like.status_code in (404, 422)


def test_logs_hold_no_identifying_values(service: Service, caplog) -> None:
    import logging

    from serve_support import SECRET_VALUES

    caplog.set_level(logging.DEBUG)
    headers = service.headers("clinician")
    service.client.get("/api/v1/patients/1/timeline", headers=headers)
    service.client.get("/api/v1/patients/2/timeline", headers=headers)
    service.client.get("/api/v1/patients/1/timeline", headers=service.headers("viewer"))
    service.client.get("/api/v1/warehouse/summary", headers=headers)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET /api/v1/patients/{person_id}/timeline 200" in text
    for value in SECRET_VALUES:
        assert value not in text
