"""Syndromic series split by commune of residence and by emergency unit (hand-counted)."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from hopia.cli import app
from hopia.surveillance._alarms import open_alarms, syndromic_detection
from hopia.surveillance._series import syndromic_counts

ILI, SPRAIN = 1, 2


@pytest.fixture(scope="module")
def warehouse_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from hopia.warehouse import write_warehouse

    # person → (year of birth, location): persons 1-2 live in Nancy, 3 in Metz, 4 nowhere known
    people = {1: (1990, 1), 2: (2020, 1), 3: (1950, 2), 4: (1980, None)}
    # visit: (id, person, time, care site) — two emergency units, one visit without a site
    visits = [
        (10, 1, datetime(2024, 1, 1, 9), 1),  # ILI, Nancy, URG
        (11, 2, datetime(2024, 1, 2, 9), 2),  # ILI, Nancy, URG_PED
        (12, 3, datetime(2024, 1, 3, 9), 1),  # ILI, Metz, URG
        (13, 4, datetime(2024, 1, 9, 9), None),  # ILI, unknown commune, unknown unit
        (14, 1, datetime(2024, 1, 10, 9), 1),  # sprain, Nancy, URG
    ]
    conditions = [(10, ILI), (11, ILI), (12, ILI), (13, ILI), (14, SPRAIN)]
    by_visit = {v[0]: v for v in visits}
    tables = {
        "person": {"person_id": list(people), "gender_concept_id": [0] * 4,
                   "year_of_birth": [p[0] for p in people.values()],
                   "location_id": [p[1] for p in people.values()]},
        "location": {"location_id": [1, 2], "city": ["Nancy", " Metz "]},
        "care_site": {"care_site_id": [1, 2], "care_site_name": ["Urgences adultes", "Urgences"],
                      "care_site_source_value": ["URG", None]},
        "visit_occurrence": {
            "visit_occurrence_id": [v[0] for v in visits], "person_id": [v[1] for v in visits],
            "visit_concept_id": [9203] * len(visits),
            "visit_start_date": [v[2].date() for v in visits],
            "visit_start_datetime": [v[2] for v in visits],
            "care_site_id": [v[3] for v in visits],
        },
        "condition_occurrence": {
            "condition_occurrence_id": list(range(1, len(conditions) + 1)),
            "person_id": [by_visit[v][1] for v, _ in conditions],
            "condition_concept_id": [c for _, c in conditions],
            "condition_start_date": [by_visit[v][2].date() for v, _ in conditions],
            "visit_occurrence_id": [v for v, _ in conditions],
        },
        "concept": {"concept_id": [ILI, SPRAIN], "concept_name": ["J11.1", "S93.4"],
                    "vocabulary_id": ["ICD10", "ICD10"], "concept_code": ["J11.1", "S93.4"]},
    }  # fmt: skip
    url = f"duckdb:///{tmp_path_factory.mktemp('strata') / 'w.duckdb'}"
    write_warehouse({k: pa.table(v) for k, v in tables.items()}, url).close()
    return url


@pytest.fixture()
def wh(warehouse_url: str):
    from hopia.warehouse import open_warehouse

    with open_warehouse(warehouse_url, read_only=True) as warehouse:
        yield warehouse


def _weekly(table, column: str) -> dict[tuple[str, str], int]:
    return {(row[column], str(row["date"])): row["observed"] for _, row in table.iterrows()}


def test_counts_by_commune_trim_the_city_and_keep_unknown_residents(wh) -> None:
    table = syndromic_counts(wh, ["ili"], freq="week", by=["commune"])
    assert list(table.columns) == ["syndrome", "commune", "date", "observed", "visits"]
    assert _weekly(table, "commune") == {
        ("Metz", "2024-01-01"): 1, ("Metz", "2024-01-08"): 0,
        ("Nancy", "2024-01-01"): 2, ("Nancy", "2024-01-08"): 0,
        ("unknown", "2024-01-01"): 0, ("unknown", "2024-01-08"): 1,
    }  # fmt: skip
    nancy = table[table["commune"] == "Nancy"]
    assert nancy["visits"].tolist() == [2, 1]  # the sprain is a visit, not an ILI case


def test_counts_by_unit_use_the_source_value_then_the_name(wh) -> None:
    table = syndromic_counts(wh, ["ili"], freq="week", by=["unit"])
    assert _weekly(table, "unit") == {
        ("URG", "2024-01-01"): 2, ("URG", "2024-01-08"): 0,
        ("Urgences", "2024-01-01"): 1, ("Urgences", "2024-01-08"): 0,
        ("unknown", "2024-01-01"): 0, ("unknown", "2024-01-08"): 1,
    }  # fmt: skip


def test_strata_cross_and_sum_to_the_overall_series(wh) -> None:
    overall = syndromic_counts(wh, ["ili"], freq="day")
    crossed = syndromic_counts(wh, ["ili"], freq="day", by=["unit", "commune"], by_age=True)
    assert list(crossed.columns)[:4] == ["syndrome", "age_band", "commune", "unit"]
    summed = crossed.groupby("date")[["observed", "visits"]].sum()
    assert summed["observed"].tolist() == overall["observed"].tolist()
    assert summed["visits"].tolist() == overall["visits"].tolist()


def test_unknown_stratum_is_refused(wh) -> None:
    with pytest.raises(ValueError, match="unknown stratum 'ward'"):
        syndromic_counts(wh, ["ili"], by=["ward"])


def test_detection_batches_every_combination_of_strata(wh) -> None:
    table = syndromic_detection(wh, method="ears-c1", freq="day", syndromes=["ili"], by=["unit"])
    assert list(table.columns[:3]) == ["syndrome", "age_band", "unit"]
    series = table[["age_band", "unit"]].drop_duplicates()
    # overall, each age band alone (all units), each unit alone (all ages) — no age × unit
    assert len(series[(series.age_band == "all") & (series.unit == "all")]) == 1
    assert set(series[series.age_band == "all"].unit) == {"all", "URG", "Urgences", "unknown"}
    assert set(series[series.unit == "all"].age_band) > {"all"}
    assert len(series) == len(series.drop_duplicates())
    assert table.groupby(["age_band", "unit"]).size().nunique() == 1  # same calendar for all
    alarms = open_alarms(table)
    assert list(alarms.columns) == [
        "syndrome", "age_band", "unit", "period", "observed", "upperbound"
    ]  # fmt: skip


def test_cli_series_by_unit_and_a_bad_split(warehouse_url: str, tmp_path) -> None:
    import pandas as pd

    runner = CliRunner()
    out = tmp_path / "ili.csv"
    args = ["surveil", "series", "--syndrome", "ili", "--freq", "week", "--by", "unit"]
    result = runner.invoke(app, [*args, "--out", str(out), "--warehouse", warehouse_url])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns) == ["syndrome", "unit", "date", "observed", "visits"]
    assert table["observed"].sum() == 4
    bad = ["surveil", "series", "--syndrome", "ili", "--by", "ward", "--out", str(out)]
    result = runner.invoke(app, [*bad, "--warehouse", warehouse_url])
    assert result.exit_code == 2
    assert "unknown split 'ward'" in result.output
