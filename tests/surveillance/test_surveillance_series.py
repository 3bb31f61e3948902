"""Syndromic series from the warehouse (Ibis on the events view) and backtests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from hopia.cli import app
from hopia.surveillance._backtest import backtest, score_alarms
from hopia.surveillance._series import load_syndromes, syndromic_counts

# concept_id → (vocabulary, code)
CONCEPTS = {
    1: ("ICD10", "J11.1"),  # ILI
    2: ("ICD10", "J21.9"),  # bronchiolitis
    3: ("ICD10", "S93.4"),  # sprain: no syndrome
    4: ("MOTIF", "DIARRHEE"),  # gastro by chief complaint
    5: ("MOTIF", "TOUX"),  # cough: no syndrome on its own
    6: ("ICD10", "J110"),  # J11 prefix without the dot still matches ILI
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    from hopia.warehouse import write_warehouse

    # person: id → year of birth
    people = {1: 2023, 2: 1990, 3: 1940, 4: 2010}
    # visits: (visit id, person, datetime, visit concept)
    visits = [
        (10, 1, datetime(2024, 1, 1, 9), 9203),  # Monday, week 2024-01-01, bronchiolitis
        (11, 2, datetime(2024, 1, 2, 22), 9203),  # ILI + cough
        (12, 3, datetime(2024, 1, 3, 3), 262),  # ERIP, ILI (J110) + diarrhoea → ILI and gastro
        (13, 4, datetime(2024, 1, 10, 15), 9203),  # sprain only
        (14, 2, datetime(2024, 1, 24, 8), 9203),  # ILI, two weeks later
        (15, 3, datetime(2024, 1, 4, 8), 9201),  # inpatient (not ED) with ILI: not counted
    ]
    conditions = [(10, 2), (11, 1), (12, 6), (13, 3), (14, 1), (15, 1)]
    observations = [(11, 5), (12, 4)]
    by_visit = {v[0]: v for v in visits}
    tables = {
        "person": {"person_id": list(people), "gender_concept_id": [0] * 4,
                   "year_of_birth": list(people.values())},
        "visit_occurrence": {
            "visit_occurrence_id": [v[0] for v in visits], "person_id": [v[1] for v in visits],
            "visit_concept_id": [v[3] for v in visits],
            "visit_start_date": [v[2].date() for v in visits],
            "visit_start_datetime": [v[2] for v in visits],
        },
        "condition_occurrence": {
            "condition_occurrence_id": list(range(1, len(conditions) + 1)),
            "person_id": [by_visit[v][1] for v, _ in conditions],
            "condition_concept_id": [c for _, c in conditions],
            "condition_start_date": [by_visit[v][2].date() for v, _ in conditions],
            "visit_occurrence_id": [v for v, _ in conditions],
        },
        "observation": {
            "observation_id": [1, 2], "person_id": [by_visit[v][1] for v, _ in observations],
            "observation_concept_id": [c for _, c in observations],
            "observation_date": [by_visit[v][2].date() for v, _ in observations],
            "visit_occurrence_id": [v for v, _ in observations],
        },
        "concept": {
            "concept_id": list(CONCEPTS), "concept_name": [c for _, c in CONCEPTS.values()],
            "vocabulary_id": [v for v, _ in CONCEPTS.values()],
            "concept_code": [c for _, c in CONCEPTS.values()],
        },
    }  # fmt: skip
    truth = pa.table({
        "syndrome": ["ili"], "start_date": [date(2024, 1, 1)], "end_date": [date(2024, 1, 7)],
    })  # fmt: skip
    url = f"duckdb:///{tmp_path_factory.mktemp('wh') / 'w.duckdb'}"
    wh = write_warehouse(
        {k: pa.table(v) for k, v in tables.items()}, url, extra={"synth_truth.outbreaks": truth}
    )
    wh.close()
    return url


def test_weekly_counts_per_syndrome(warehouse: str) -> None:
    from hopia.warehouse import open_warehouse

    with open_warehouse(warehouse, read_only=True) as wh:
        table = syndromic_counts(wh, freq="week")
    assert set(table["syndrome"]) == set(load_syndromes())
    ili = table[table["syndrome"] == "ili"].set_index("date")["observed"]
    assert ili.to_dict() == {
        date(2024, 1, 1): 2,
        date(2024, 1, 8): 0,
        date(2024, 1, 15): 0,
        date(2024, 1, 22): 1,
    }
    gastro = table[table["syndrome"] == "gastroenteritis"]
    assert gastro["observed"].tolist() == [1, 0, 0, 0]
    visits = table[table["syndrome"] == "asthma"]["visits"].tolist()
    assert visits == [3, 1, 0, 1]  # ED visits of every cause (the inpatient stay is not one)


def test_daily_counts_by_age_band(warehouse: str) -> None:
    from hopia.warehouse import open_warehouse

    with open_warehouse(warehouse, read_only=True) as wh:
        table = syndromic_counts(wh, ["ili", "bronchiolitis"], freq="day", by_age=True)
    totals = table.groupby(["syndrome", "age_band"])["observed"].sum()
    assert totals[("ili", "15-74")] == 2 and totals[("ili", "75+")] == 1
    assert totals[("bronchiolitis", "<2")] == 1 and totals.sum() == 4
    days = table[(table["syndrome"] == "ili") & (table["age_band"] == "15-74")]["date"]
    assert len(days) == 24 and days.iloc[0] == date(2024, 1, 1)


def test_cli_series_then_detect(warehouse: str, tmp_path: Path) -> None:
    out = tmp_path / "ili.csv"
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "surveil",
            "series",
            "--syndrome",
            "ili",
            "--freq",
            "week",
            "--out",
            str(out),
            "--warehouse",
            warehouse,
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[:2] == ["t,date,observed,visits", "1,2024-01-01,2,3"]
    detected = tmp_path / "alarms.csv"
    result = runner.invoke(
        app, ["surveil", "detect", str(out), "--method", "ears-c1", "--out", str(detected)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["surveil", "series", "--syndrome", "flu", "--out", str(out), "--warehouse", warehouse]
    )
    assert result.exit_code == 2 and "unknown syndrome" in result.output


def test_cli_backtest_reads_the_truth_table(warehouse: str, tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    result = CliRunner().invoke(
        app,
        [
            "surveil",
            "backtest",
            "--method",
            "ears-c1",
            "--freq",
            "day",
            "--syndrome",
            "ili",
            "--out",
            str(out),
            "--warehouse",
            warehouse,
        ],
    )
    assert result.exit_code == 0, result.output
    report = pd.read_csv(out)
    assert report.loc[0, "syndrome"] == "ili" and report.loc[0, "monitored_periods"] == 24 - 14


def test_score_alarms_weekly() -> None:
    start = date(2024, 1, 1)
    dates = [start + timedelta(weeks=i) for i in range(10)]
    alarm = [np.nan, np.nan, 0, 0, 1, 1, 0, 1, 0, 0]
    truth = pd.DataFrame(
        {
            "start_date": [date(2024, 1, 24), date(2024, 3, 1)],
            "end_date": [date(2024, 2, 10), date(2024, 3, 3)],
        }
    )
    score = score_alarms(dates, alarm, truth, freq="week")
    # first outbreak (weeks 3-5) detected in week 4 (Jan 29 - Feb 4): 11 days after Jan 24
    assert (score.outbreaks, score.detected, score.days_to_detection) == (2, 1, [11])
    assert score.alarms == 3 and score.true_alarms == 2 and score.ppv == round(2 / 3, 4)
    assert score.false_positive_rate == round(
        1 / 4, 4
    )  # weeks 2, 6, 7, 9 are quiet; week 7 alarmed


def test_backtest_detects_planted_outbreaks() -> None:
    rng = np.random.default_rng(21)
    days = pd.date_range("2018-01-01", periods=7 * 52 * 7, freq="7D")
    weeks = np.arange(len(days))
    expected = 30 * np.exp(0.5 * np.cos(2 * np.pi * weeks / 52))
    starts = [300, 340, 390, 430]
    for s in starts:
        expected[s : s + 4] *= 2.5
    counts = pd.DataFrame({"syndrome": "ili", "date": days.date, "observed": rng.poisson(expected)})
    truth = pd.DataFrame(
        {
            "syndrome": "ili",
            "start_date": [days[s].date() for s in starts],
            "end_date": [days[s + 3].date() + timedelta(days=6) for s in starts],
        }
    )
    report = backtest(counts, truth, method="farrington-flexible", freq="week")
    row = report.iloc[0]
    assert row["outbreaks"] == 4 and row["pod"] >= 0.75
    assert row["false_positive_rate"] < 0.05 and row["median_days_to_detection"] <= 14
