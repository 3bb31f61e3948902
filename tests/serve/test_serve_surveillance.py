"""Surveillance API and page: series with bounds and alarms, open alarms, masked age bands."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from serve_support import Service
from test_serve_pages import sign_in

from hopia.serve import ServeConfig, create_app

START = dt.date(2025, 3, 1)
# ILI emergency visits per day: adults (born 1980) and a few children (born 2018).
ADULTS = [6, 8, 7, 9, 6, 7, 8, 6, 9, 7, 8, 6, 7, 9, 8, 6, 7, 8, 9, 6, 7, 8, 6, 7, 9, 8, 7, 30, 35]
CHILDREN = [1, 0, 2, 1, 3, 0, 1, 2, 1, 0, 2, 1, 3, 1, 0, 2, 1, 1, 2, 0, 1, 3, 2, 1, 0, 1, 2, 4, 5]
MIN_CELL = 5


def _tables() -> dict[str, pa.Table]:
    visit_ids: list[int] = []
    persons: list[int] = []
    times: list[dt.datetime] = []
    for day, (adults, children) in enumerate(zip(ADULTS, CHILDREN, strict=True)):
        when = dt.datetime.combine(START + dt.timedelta(days=day), dt.time(10))
        for person in [1] * adults + [2] * children:
            visit_ids.append(len(visit_ids) + 1)
            persons.append(person)
            times.append(when)
    n = len(visit_ids)
    return {
        "person": pa.table({"person_id": [1, 2], "gender_concept_id": [0, 0],
                            "year_of_birth": [1980, 2018]}),
        "visit_occurrence": pa.table({
            "visit_occurrence_id": visit_ids, "person_id": persons, "visit_concept_id": [9203] * n,
            "visit_start_date": [t.date() for t in times], "visit_start_datetime": times,
        }),
        "condition_occurrence": pa.table({
            "condition_occurrence_id": list(range(1, n + 1)), "person_id": persons,
            "condition_concept_id": [1] * n, "condition_start_date": [t.date() for t in times],
            "visit_occurrence_id": visit_ids,
        }),
        "concept": pa.table({"concept_id": [1], "concept_name": ["grippe"],
                             "vocabulary_id": ["ICD10"], "concept_code": ["J11.1"]}),
    }  # fmt: skip


@pytest.fixture(scope="module")
def epidemic_warehouse_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from hopia.warehouse import write_warehouse

    url = f"duckdb:///{tmp_path_factory.mktemp('surv-wh') / 'warehouse.duckdb'}"
    write_warehouse(_tables(), url, source="surveillance tests").close()
    return url


@pytest.fixture
def surveillance_service(
    epidemic_warehouse_url: str, users_db: tuple[Path, dict[str, str]], tmp_path: Path
) -> Iterator[Service]:
    template, tokens = users_db
    app_db = tmp_path / "app.sqlite"
    shutil.copyfile(template, app_db)
    config = ServeConfig(
        warehouse_url=epidemic_warehouse_url,
        app_db_url=f"sqlite:///{app_db}",
        models_dir=tmp_path / "models",
        secure_cookies=False,
        min_cell=MIN_CELL,
    )
    svc = Service(TestClient(create_app(config)), tokens, config)
    with svc.client:
        yield svc


def test_syndromes_for_any_role(surveillance_service: Service) -> None:
    client = surveillance_service.client
    assert client.get("/api/v1/surveillance/syndromes").status_code == 401
    response = client.get(
        "/api/v1/surveillance/syndromes", headers=surveillance_service.headers("viewer")
    )
    assert response.status_code == 200
    ili = {s["name"]: s for s in response.json()}["ili"]
    assert "ICD10/J11*" in ili["codes"]


def test_overall_series_with_bound_and_alarms(surveillance_service: Service) -> None:
    response = surveillance_service.client.get(
        "/api/v1/surveillance/series/ili",
        params={"method": "ears-c2", "freq": "day"},
        headers=surveillance_service.headers("viewer"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["age_band"] == "all" and body["masked_below"] == MIN_CELL
    points = body["points"]
    totals = [a + c for a, c in zip(ADULTS, CHILDREN, strict=True)]
    assert [p["observed"] for p in points] == totals
    assert points[0]["alarm"] is None and points[0]["upperbound"] is None
    assert points[-1]["alarm"] is True and points[-1]["observed"] > points[-1]["upperbound"]
    assert points[-3]["alarm"] is False
    assert set(body["age_bands"]) >= {"all", "2-14", "15-74"}


def test_age_band_counts_are_masked_without_recovery(surveillance_service: Service) -> None:
    headers = surveillance_service.headers("viewer")
    client = surveillance_service.client
    bands = {}
    for band in ("<2", "2-14", "15-74", "75+"):
        response = client.get(
            "/api/v1/surveillance/series/ili", params={"age_band": band}, headers=headers
        )
        assert response.status_code == 200, response.text
        bands[band] = [p["observed"] for p in response.json()["points"]]
    children = bands["2-14"]
    for day, count in enumerate(CHILDREN):
        published = children[day]
        assert published is None or published == 0 or published >= MIN_CELL
        if 0 < count < MIN_CELL:
            assert published is None
        # The overall count is published: a day never has exactly one masked band.
        masked = sum(bands[b][day] is None for b in bands)
        assert masked != 1
    missing = client.get(
        "/api/v1/surveillance/series/ili", params={"age_band": "90+"}, headers=headers
    )
    assert missing.status_code == 404


def test_open_alarms(surveillance_service: Service) -> None:
    response = surveillance_service.client.get(
        "/api/v1/surveillance/alarms",
        params={"last": 2, "method": "ears-c2"},
        headers=surveillance_service.headers("viewer"),
    )
    assert response.status_code == 200, response.text
    alarms = response.json()["alarms"]
    overall = [a for a in alarms if a["syndrome"] == "ili" and a["age_band"] == "all"]
    last_day = (START + dt.timedelta(days=len(ADULTS) - 1)).isoformat()
    assert overall[0]["period"] == last_day
    assert overall[0]["observed"] == ADULTS[-1] + CHILDREN[-1]
    assert all(a["observed"] is None or a["observed"] >= MIN_CELL for a in alarms)


def test_bad_requests(surveillance_service: Service) -> None:
    headers = surveillance_service.headers("viewer")
    client = surveillance_service.client
    assert client.get("/api/v1/surveillance/series/nope", headers=headers).status_code == 404
    bad_method = client.get(
        "/api/v1/surveillance/series/ili", params={"method": "magic"}, headers=headers
    )
    assert bad_method.status_code == 422
    no_period = client.get("/api/v1/surveillance/alarms", params={"last": 0}, headers=headers)
    assert no_period.status_code == 422


def test_methods_match_the_package() -> None:
    from typing import get_args

    from hopia.serve.api.surveillance import Method
    from hopia.surveillance import METHODS

    assert set(get_args(Method)) == set(METHODS)


def test_page_shows_charts_and_open_alarms(surveillance_service: Service) -> None:
    client = surveillance_service.client
    first = client.get("/surveillance", follow_redirects=False)
    assert first.status_code == 303
    sign_in(surveillance_service, "viewer", "/surveillance")
    page = client.get("/surveillance", params={"method": "ears-c3", "last": 2})
    assert page.status_code == 200
    html = page.text
    assert 'href="/surveillance" aria-current="page"' in html
    assert html.count("<svg") >= 1 and 'id="syndrome-ili"' in html
    assert 'class="alarm"' in html and 'class="bound"' in html
    assert '<option value="ears-c3" selected>' in html
    assert "Open alarms" in html and "Syndrome grippal" in html
    assert "style=" not in html.split("<main", 1)[1]
    french = client.get("/surveillance", params={"lang": "fr"})
    assert "Surveillance syndromique" in french.text and "Alarmes en cours" in french.text
