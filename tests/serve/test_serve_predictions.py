"""``POST /api/v1/tasks/{task}/predict`` for a warehouse person and for a FHIR Bundle."""

from __future__ import annotations

import json

from serve_support import Service

from hopia.serve import list_audit


def test_prediction_has_a_risk_a_version_and_factors_in_words(
    scoring_service: Service, population_person: int
) -> None:
    response = scoring_service.client.post(
        "/api/v1/tasks/long_stay_7d/predict",
        json={"person_id": population_person},
        headers=scoring_service.headers("clinician"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert 0 <= body["risk"] <= 1
    assert body["model_version"] == "1"
    assert body["person_id"] == population_person
    assert 1 <= len(body["factors"]) <= 5
    for factor in body["factors"]:
        assert factor["text"] and "|" not in factor["text"]
        assert factor["direction"] == ("raises" if factor["contribution"] > 0 else "lowers")
    magnitudes = [abs(f["contribution"]) for f in body["factors"]]
    assert magnitudes == sorted(magnitudes, reverse=True)
    with scoring_service.client.app.state.hopia.sessions() as db:
        records = list_audit(db)
    assert [(r.person_id, r.what, r.action, r.outcome) for r in records] == [
        (population_person, "prediction:long_stay_7d", "E", "0")
    ]


def test_prediction_errors_are_4xx(scoring_service: Service, population_person: int) -> None:
    post = scoring_service.client.post
    headers = scoring_service.headers("clinician")
    assert (
        post("/api/v1/tasks/nope/predict", json={"person_id": 1}, headers=headers).status_code
        == 404
    )
    unknown = post(
        "/api/v1/tasks/long_stay_7d/predict", json={"person_id": 10**15}, headers=headers
    )
    assert unknown.status_code == 404
    early = post(
        "/api/v1/tasks/long_stay_7d/predict",
        json={"person_id": population_person, "index_time": "1900-01-01T00:00:00"},
        headers=headers,
    )
    assert early.status_code == 404
    for bad in ({"person_id": "abc"}, {"person_id": 1, "index_time": "2024-01-01T00:00:00+01:00"},
                {"resourceType": "Patient"}, [], "x"):  # fmt: skip
        response = post("/api/v1/tasks/long_stay_7d/predict", json=bad, headers=headers)
        assert response.status_code == 422, bad
    broken = post(
        "/api/v1/tasks/long_stay_7d/predict",
        content=b"{not json",
        headers={**headers, "content-type": "application/json"},
    )
    assert broken.status_code == 422


def test_a_bundle_with_no_patient_is_422(scoring_service: Service) -> None:
    response = scoring_service.client.post(
        "/api/v1/tasks/long_stay_7d/predict",
        json={"resourceType": "Bundle", "type": "collection", "entry": []},
        headers=scoring_service.headers("clinician"),
    )
    assert response.status_code == 422
    assert "Patient" in response.json()["detail"]


def test_a_fhir_bundle_is_mapped_and_scored(scoring_service: Service) -> None:
    from hopia.warehouse._fhir import sample_fhir_paths

    by_name = {path.name.split("_")[0]: path for path in sample_fhir_paths()}
    url, headers = "/api/v1/tasks/long_stay_7d/predict", scoring_service.headers("clinician")
    # Liz has an inpatient stay (in long_stay_7d's population); Buster only consultations.
    scored = scoring_service.client.post(
        url, json=json.loads(by_name["Liz"].read_text()), headers=headers
    )
    assert scored.status_code == 200, scored.text
    body = scored.json()
    assert body["person_id"] is None and 0 <= body["risk"] <= 1 and body["factors"]
    outside = scoring_service.client.post(
        url, json=json.loads(by_name["Buster"].read_text()), headers=headers
    )
    assert outside.status_code == 404
    with scoring_service.client.app.state.hopia.sessions() as db:
        whats = [r.what for r in list_audit(db)]
    assert whats == ["prediction:long_stay_7d:fhir-bundle"]


def test_models_are_listed_with_their_card(scoring_service: Service) -> None:
    listed = scoring_service.client.get("/api/v1/models", headers=scoring_service.headers("viewer"))
    assert [(m["task"], m["version"]) for m in listed.json()] == [("long_stay_7d", "1")]
    detail = scoring_service.client.get(
        "/api/v1/models/long_stay_7d/1", headers=scoring_service.headers("viewer")
    )
    assert detail.json()["card"] == {"intended_use": "tests"}
    assert detail.json()["feature_count"] > 10
    missing = scoring_service.client.get(
        "/api/v1/models/long_stay_7d/9", headers=scoring_service.headers("viewer")
    )
    assert missing.status_code == 404


def test_models_from_the_registry_are_served(
    synth_warehouse_url: str, users_db: tuple, registry_dir, tmp_path, population_person: int
) -> None:
    import shutil

    from serve_support import make_service

    shutil.copyfile(users_db[0], tmp_path / "app.sqlite")
    svc = make_service(synth_warehouse_url, tmp_path / "app.sqlite", registry_dir, users_db[1])
    with svc.client:
        listed = svc.client.get("/api/v1/models", headers=svc.headers("viewer")).json()
        assert [(m["task"], m["version"], m["has_report"]) for m in listed] == [
            ("long_stay_7d", "v1", True)
        ]
        assert "auroc" in listed[0]["metrics"]
        response = svc.client.post(
            "/api/v1/tasks/long_stay_7d/predict",
            json={"person_id": population_person},
            headers=svc.headers("clinician"),
        )
        assert response.status_code == 200, response.text
        assert response.json()["model_version"] == "v1"
        assert response.json()["factors"]
        form = svc.client.get("/login").text
        import re

        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form).group(1)
        svc.client.post("/login", data={"username": "viewer", "password": "a long enough password",
                                        "csrf_token": token})  # fmt: skip
        report = svc.client.get("/models/long_stay_7d/v1/report")
        assert report.status_code == 200
        assert "unsafe-inline" in report.headers["content-security-policy"]


def test_a_prediction_is_sent_as_fastapi_would_send_its_model(
    scoring_service: Service, population_person: int
) -> None:
    """The endpoint serializes the prediction itself: the bytes FastAPI makes of
    ``response_model=Prediction``, for a real prediction and for awkward values."""
    import datetime as dt

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from hopia.serve.api.predictions import prediction_response
    from hopia.serve.schemas import Factor, Prediction

    served = scoring_service.client.post(
        "/api/v1/tasks/long_stay_7d/predict",
        json={"person_id": population_person},
        headers=scoring_service.headers("clinician"),
    )
    assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    awkward = Prediction(
        task="t", model_version="v1", person_id=None, index_time=dt.datetime(2024, 2, 29, 23, 59),
        risk=1e-07, factors=[
            Factor(feature="LOINC/59408-5|slope|24h", text="SpO₂ : « très » bas", value=None,
                   contribution=-1.5e-12, direction="lowers"),
            Factor(feature="age", text="Age 87", value=87.0, contribution=0.30000000000000004,
                   direction="raises"),
        ],
    )  # fmt: skip
    cases = [Prediction.model_validate_json(served.content), awkward]
    reference = FastAPI()

    @reference.get("/{i}", response_model=Prediction)
    def plain(i: int) -> Prediction:
        return cases[i]

    with TestClient(reference) as client:
        for i, prediction in enumerate(cases):
            expected = client.get(f"/{i}")
            mine = prediction_response(prediction)
            assert mine.body == expected.content
            assert mine.headers["content-type"] == expected.headers["content-type"]
    assert served.content == prediction_response(cases[0]).body


def test_latest_risks_are_scored_at_start_up(scoring_service: Service, test_model) -> None:
    """The warm-up scores every latest row before anyone asks: a later prediction reads the
    precomputed batch, and gives what scoring its row alone gives."""
    from hopia.serve._scoring import latest_scores, predict_person

    state = scoring_service.client.app.state.hopia
    assert state.warmed.wait(300)
    with state.warehouses.checkout() as wh:
        cache = state.warehouses.cache_of(wh)
        assert ("latest_scores", id(test_model)) in cache
        scored = cache[("latest_scores", id(test_model))]
        assert scored is latest_scores(wh, test_model, cache)  # not computed again
        person = int(scored.rows.keys["person_id"].iloc[0])
        alone = predict_person(wh, test_model, person, scored.index_times[0])
    answer = scoring_service.client.post(
        "/api/v1/tasks/long_stay_7d/predict",
        json={"person_id": person},
        headers=scoring_service.headers("clinician"),
    )
    assert answer.status_code == 200
    assert answer.json()["risk"] == alone.risk
