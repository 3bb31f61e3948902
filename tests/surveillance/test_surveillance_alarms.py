"""All syndromes × age bands in one batch, and the open alarms listed by ``hopia demo``."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from hopia.surveillance._alarms import (
    ALARM_COLUMNS,
    current_alarms,
    detection_table,
    open_alarms,
    syndromic_detection,
)

START = date(2025, 3, 1)
DAYS = 40


def ili_visits_per_day() -> list[int]:
    """Two to four ILI visits a day, then a wave on the last three days."""
    rng = np.random.default_rng(7)
    counts = rng.integers(2, 5, DAYS).tolist()
    counts[-3:] = [15, 18, 22]
    return counts


def build_surveillance_warehouse(url: str) -> None:
    """Emergency visits of adults and children: ILI daily, one bronchiolitis visit."""
    from hopia.warehouse import write_warehouse

    visit_ids, persons, times, concept_of_visit = [], [], [], []
    for day, count in enumerate(ili_visits_per_day()):
        for i in range(count):
            visit_ids.append(len(visit_ids) + 1)
            persons.append(1 + (i % 2))  # adults and children alternate
            times.append(datetime.combine(START + timedelta(days=day), datetime.min.time()))
            concept_of_visit.append(1)
    visit_ids.append(len(visit_ids) + 1)
    persons.append(2)
    times.append(datetime(2025, 3, 5, 10))
    concept_of_visit.append(2)
    n = len(visit_ids)
    tables = {
        "person": {"person_id": [1, 2], "gender_concept_id": [0, 0], "year_of_birth": [1980, 2020]},
        "visit_occurrence": {
            "visit_occurrence_id": visit_ids, "person_id": persons,
            "visit_concept_id": [9203] * n, "visit_start_date": [t.date() for t in times],
            "visit_start_datetime": times,
        },
        "condition_occurrence": {
            "condition_occurrence_id": list(range(1, n + 1)), "person_id": persons,
            "condition_concept_id": concept_of_visit,
            "condition_start_date": [t.date() for t in times], "visit_occurrence_id": visit_ids,
        },
        "concept": {
            "concept_id": [1, 2], "concept_name": ["grippe", "bronchiolite"],
            "vocabulary_id": ["ICD10", "ICD10"], "concept_code": ["J11.1", "J21.9"],
        },
    }  # fmt: skip
    write_warehouse({k: pa.table(v) for k, v in tables.items()}, url).close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    from hopia.warehouse import open_warehouse

    url = f"duckdb:///{tmp_path_factory.mktemp('alarms') / 'w.duckdb'}"
    build_surveillance_warehouse(url)
    wh = open_warehouse(url, read_only=True)
    yield wh
    wh.close()


def test_every_syndrome_and_band_in_one_batch(warehouse) -> None:
    table = syndromic_detection(warehouse, method="ears-c2", freq="day")
    sizes = table.groupby(["syndrome", "age_band"]).size()
    assert sizes.nunique() == 1 and sizes.iloc[0] == DAYS
    ili = table[(table.syndrome == "ili") & (table.age_band == "all")]
    assert ili["observed"].tolist() == ili_visits_per_day()
    bands = table[(table.syndrome == "ili") & (table.age_band != "all")]
    assert bands.groupby("date")["observed"].sum().tolist() == ili_visits_per_day()
    # EARS C2 needs 7 baseline days after a lag of 2: the first days are not monitored.
    assert ili["alarm"].iloc[:9].isna().all() and ili["alarm"].iloc[-20:].notna().all()
    assert ili["alarm"].iloc[-3:].tolist() == [1.0, 1.0, 1.0]


def test_current_alarms_lists_the_wave(warehouse) -> None:
    alarms = current_alarms(warehouse, method="ears-c2", freq="day", last=3)
    assert list(alarms.columns) == ALARM_COLUMNS
    overall = alarms[(alarms.syndrome == "ili") & (alarms.age_band == "all")]
    last_day = START + timedelta(days=DAYS - 1)
    assert overall["period"].iloc[0] == last_day
    assert overall["observed"].iloc[0] == 22
    assert (overall["observed"] > overall["upperbound"]).all()
    assert "bronchiolitis" not in set(alarms.syndrome)
    assert current_alarms(warehouse, last=1)["period"].eq(last_day).all()
    with pytest.raises(ValueError, match="last"):
        current_alarms(warehouse, last=0)


def test_detection_table_rejects_ragged_series() -> None:
    counts = pd.DataFrame(
        {"syndrome": ["a", "a", "b"], "age_band": "all", "date": [1, 2, 1], "observed": [1, 2, 3]}
    )
    with pytest.raises(ValueError, match="same periods"):
        detection_table(counts, "ears-c1", "day")
    with pytest.raises(ValueError, match="unknown method"):
        detection_table(counts, "nope", "day")
    assert open_alarms(counts.iloc[:0]).columns.tolist() == ALARM_COLUMNS
