"""The pathways API and page: aggregates for every role, small counts masked, maps as SVG."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_support import Service, make_service
from test_serve_pages import sign_in

from hopia.pathways import directly_follows, variants, warehouse_log
from hopia.warehouse import open_warehouse

API = "/api/v1/pathways"


@pytest.fixture
def synth_service(
    synth_warehouse_url: str, users_db: tuple[Path, dict[str, str]], tmp_path: Path
) -> Iterator[Service]:
    """The app on the small synthetic hospital (threshold 2, as every test service)."""
    template, tokens = users_db
    app_db = tmp_path / "app.sqlite"
    shutil.copyfile(template, app_db)
    svc = make_service(synth_warehouse_url, app_db, tmp_path / "models", tokens)
    with svc.client:
        yield svc


def test_pathways_need_a_token(service: Service) -> None:
    assert service.client.get(f"{API}/map").status_code == 401


def test_single_stay_counts_are_masked_for_a_viewer(service: Service) -> None:
    """The small warehouse has one stay through REA then CARDIO: every count is 1 < 2."""
    headers = service.headers("viewer")
    found = service.client.get(f"{API}/map", headers=headers).json()
    assert found["masked_below"] == 2
    edge = {(e["source"], e["target"]): e for e in found["edges"]}[("REA", "CARDIO")]
    assert edge == {
        "source": "REA",
        "target": "CARDIO",
        "count": None,
        "cases": None,
        "mean_seconds": None,
        "median_seconds": None,
    }
    assert all(e["count"] is None for e in found["edges"])
    shown = service.client.get(f"{API}/variants", headers=headers).json()
    assert ["Admission", "REA", "CARDIO", "Discharge"] in [v["steps"] for v in shown["variants"]]
    assert all(v["cases"] is None and v["share"] is None for v in shown["variants"])
    units = service.client.get(f"{API}/durations", headers=headers).json()["units"]
    assert {u["unit"] for u in units} == {"REA", "CARDIO"}
    assert all(u["stays"] is None and u["median_hours"] is None for u in units)
    occupancy = service.client.get(f"{API}/occupancy?days=7", headers=headers).json()
    beds = [p["beds"] for u in occupancy["units"] for p in u["census"] + u["forecast"]]
    assert beds and set(beds) <= {None, 0.0}  # one patient at a time: 1 bed is masked
    assert None in beds and 0.0 in beds


def test_map_and_variants_match_the_engine(synth_service: Service, synth_warehouse_url) -> None:
    wh = open_warehouse(synth_warehouse_url, read_only=True)
    try:
        log = warehouse_log(wh, case="stay")
        truth = directly_follows(log).to_pandas().set_index(["source", "target"])
        top = variants(log).to_pandas()
    finally:
        wh.close()
    headers = synth_service.headers("viewer")
    edges = synth_service.client.get(f"{API}/map", headers=headers).json()["edges"]
    assert len(edges) == len(truth)
    shown = 0
    for edge in edges:
        expected = truth.loc[(edge["source"], edge["target"])]
        if expected["count"] < 2:
            assert edge["count"] is None and edge["median_seconds"] is None
        if edge["count"] is not None:
            shown += 1
            assert edge["count"] == expected["count"]
            assert edge["median_seconds"] == pytest.approx(expected["median_seconds"])
    assert shown >= len(edges) // 2
    found = synth_service.client.get(f"{API}/variants?limit=3", headers=headers).json()
    assert found["variants_total"] == len(top)
    assert [",".join(v["steps"]) for v in found["variants"]] == top["variant"].tolist()[:3]
    assert found["variants"][0]["cases"] == top["cases"].iloc[0]


def test_pathways_page_draws_the_map_and_occupancy(synth_service: Service) -> None:
    sign_in(synth_service, "viewer", "/pathways")
    page = synth_service.client.get("/pathways")
    assert page.status_code == 200
    html = page.text
    assert '<svg class="chart pathway-map"' in html
    assert "ED arrival" in html and "URG" in html
    assert html.count('<svg class="chart"') >= 1  # an occupancy chart per unit
    assert "<script" not in html.split("<main", 1)[1]
    french = synth_service.client.get("/pathways?lang=fr&case=person")
    assert french.status_code == 200 and "Carte des parcours" in french.text


def test_pathways_page_without_graphviz(
    synth_service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hopia.serve.web import _pathway_pages

    monkeypatch.setattr(_pathway_pages.shutil, "which", lambda name: None)
    sign_in(synth_service, "clinician", "/pathways")
    html = synth_service.client.get("/pathways").text
    assert '<svg class="chart pathway-map" viewBox=' in html
    assert 'marker-end="url(#arrow)"' in html  # our own drawing, not Graphviz's
