"""Labels of the built-in tasks on the tiny hand-made hospital (see conftest.py for the story)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from tiny_hospital import tiny_hospital_tables

from hopia.tasks import build_labels, load_task, task_from_dict


def labels_of(wh, name: str) -> pd.DataFrame:
    return build_labels(wh, load_task(name)).to_pandas()


def by_stay(frame: pd.DataFrame) -> dict[int, int]:
    return dict(zip(frame.visit_occurrence_id, frame.label, strict=True))


def test_readmission_labels_worked_out_by_hand(tiny_hospital) -> None:
    result = build_labels(tiny_hospital, load_task("readmission_30d"))
    labels = result.to_pandas()
    # 11 → 12 (ERIP 15 days later): readmitted. 41 → 42 starts 29 d 23 h after discharge and
    # ends after the window: readmitted. 51 → 52 starts 30 d 1 h later: not. 81 → 82 is a
    # planned (IP, not via the ED) stay: not. 61: dies at home on day 15, no readmission →
    # competing death counted as negative and kept although follow-up ends with the death.
    assert by_stay(labels) == {
        11: 1, 12: 0, 32: 0, 41: 1, 42: 0, 51: 0, 52: 0, 61: 0, 81: 0, 82: 0, 101: 0, 122: 0, 131: 0,
    }  # fmt: skip
    # stay 21 (in-hospital death), 31 (transfer), 71 (follow-up too short), 91 (aged 14) are out
    assert labels.loc[labels.visit_occurrence_id == 11, "index_time"].item() == dt.datetime(
        2024, 3, 5, 12
    )


def test_readmission_attrition_counts_each_step(tiny_hospital) -> None:
    attrition = build_labels(tiny_hospital, load_task("readmission_30d")).attrition
    assert attrition.step.tolist() == [
        "visit type in IP, ERIP",
        "stay has an end on or after its start",
        "age in range at index",
        "no death during the stay",
        "alive at index",
        "not a transfer to another hospital or stay",
        "follow-up covers the window (or outcome seen)",
    ]
    assert attrition.rows_before.tolist() == [19, 17, 17, 16, 15, 15, 14]
    assert attrition.rows_removed.tolist() == [2, 0, 1, 1, 0, 1, 1]
    assert attrition.rows_after.tolist() == [17, 17, 16, 15, 15, 14, 13]


def test_competing_death_can_exclude_or_count_as_positive(tiny_hospital) -> None:
    spec = load_task("readmission_30d").model_dump()
    spec["censoring"]["competing_death"] = "exclude"
    excluded = build_labels(tiny_hospital, task_from_dict(spec)).to_pandas()
    assert 61 not in set(excluded.visit_occurrence_id)
    spec["censoring"]["competing_death"] = "positive"
    positive = build_labels(tiny_hospital, task_from_dict(spec)).to_pandas()
    assert by_stay(positive)[61] == 1
    assert by_stay(positive)[12] == 0


def test_any_readmission_counts_planned_stays_too(tiny_hospital) -> None:
    spec = load_task("readmission_30d").model_dump()
    spec["outcome"]["any_of"][0]["unplanned_only"] = False
    labels = by_stay(build_labels(tiny_hospital, task_from_dict(spec)).to_pandas())
    assert labels[81] == 1


def test_inhospital_mortality_counts_a_date_only_death_on_discharge_day(tiny_hospital) -> None:
    labels = labels_of(tiny_hospital, "inhospital_mortality")
    assert len(labels) == 16  # 17 inpatient stays, minus the 14-year-old
    assert by_stay(labels)[21] == 1  # death dated 15 Jan, discharged 15 Jan 18:00
    assert labels.label.sum() == 1  # person 6 dies after discharge: not in hospital
    row = labels[labels.visit_occurrence_id == 21].iloc[0]
    assert row.index_time == dt.datetime(2024, 1, 11, 9)
    assert (row.sex, row.age_band) == ("M", "45-64")


def test_long_stay_is_strictly_longer_than_seven_days(tiny_hospital) -> None:
    labels = by_stay(labels_of(tiny_hospital, "long_stay_7d"))
    assert {stay for stay, label in labels.items() if label} == {41, 51, 101}
    assert labels[32] == 0  # exactly 7 days


def test_deterioration_stops_at_icu_entry_and_sees_icu_within_48h(tiny_hospital) -> None:
    labels = labels_of(tiny_hospital, "deterioration_48h")
    ward = labels[labels.visit_occurrence_id == 101]
    assert ward.index_time.tolist() == [dt.datetime(2024, 8, 1, 20), dt.datetime(2024, 8, 2, 8)]
    assert ward.label.tolist() == [1, 1]
    assert ward.unit.tolist() == ["MED", "MED"]
    dying = labels[labels.visit_occurrence_id == 21]
    # admission 10 Jan 09:00 → points 21:00, 09:00, … up to 15 Jan 09:00 (discharge 18:00);
    # the death (dated 15 Jan, placed at 23:59:59) is within 48 h of the last three points
    assert len(dying) == 10
    assert dying.label.tolist() == [0] * 7 + [1] * 3


def test_repeated_index_times_respect_max_points(tiny_hospital) -> None:
    spec = load_task("deterioration_48h").model_dump()
    spec["index"]["max_points"] = 2
    result = build_labels(tiny_hospital, task_from_dict(spec))
    labels = result.to_pandas()
    assert labels.groupby("visit_occurrence_id").size().max() == 2
    step = result.attrition[result.attrition.step.str.startswith("index every")].iloc[0]
    assert (step.rows_before, step.rows_after) == (17, 34)


def test_ed_admission_from_triage(tiny_hospital) -> None:
    labels = labels_of(tiny_hospital, "ed_admission")
    assert by_stay(labels) == {12: 1, 42: 1, 52: 1, 111: 0, 121: 1, 131: 1}
    assert labels.loc[labels.visit_occurrence_id == 121, "index_time"].item() == dt.datetime(
        2024, 9, 2, 10
    )


def test_code_outcomes_and_inclusion_codes(tmp_path) -> None:
    import pyarrow as pa

    from hopia.warehouse import write_warehouse

    tables = tiny_hospital_tables()
    concept = pa.Table.from_pylist(
        [
            {"concept_id": 45, "vocabulary_id": "ICD10", "concept_code": "I50.9"},
            {"concept_id": 46, "vocabulary_id": "ICD10", "concept_code": "N17.9"},
        ]
    )
    conditions = pa.Table.from_pylist(
        [  # heart failure known before stay 11's index; kidney injury on 3 Mar (date only)
            {"condition_occurrence_id": 1, "person_id": 1, "condition_concept_id": 45, "condition_start_date": dt.date(2024, 2, 1)},
            {"condition_occurrence_id": 2, "person_id": 1, "condition_concept_id": 46, "condition_start_date": dt.date(2024, 3, 3)},
        ]
    )  # fmt: skip
    wh = write_warehouse(
        {**tables, "concept": concept, "condition_occurrence": conditions},
        f"duckdb:///{tmp_path}/w.duckdb",
    )
    task = task_from_dict(
        {
            "name": "aki_48h",
            "description": "Acute kidney injury within 48 h, from admission + 24 h.",
            "population": {"visit_types": ["IP"], "include_codes": ["ICD10/I50*"]},
            "index": {"anchor": "admission", "offset": "24h"},
            "outcome": {"any_of": [{"type": "codes", "codes": ["ICD10/N17*"]}], "window": "48h"},
        }
    )
    result = build_labels(wh, task)
    labels = result.to_pandas()
    # only person 1's IP stay 11 has heart failure before index (2 Mar 10:00); N17.9 dated 3 Mar
    assert by_stay(labels) == {11: 1}
    assert result.attrition.step.iloc[-1] == "has an inclusion code before index"
    assert task.outcome_codes() == ["ICD10/N17*"]


@pytest.mark.parametrize(
    "name",
    [
        "readmission_30d",
        "long_stay_7d",
        "inhospital_mortality",
        "deterioration_48h",
        "ed_admission",
    ],
)
def test_labels_have_the_contract_columns(tiny_hospital, name: str) -> None:
    labels = build_labels(tiny_hospital, load_task(name)).labels
    assert labels.columns == (
        "person_id",
        "visit_occurrence_id",
        "index_time",
        "label",
        "sex",
        "age_band",
        "unit",
    )
    frame = labels.to_pandas()
    assert set(frame.label) <= {0, 1}
    assert not frame.duplicated(["visit_occurrence_id", "index_time"]).any()
    assert frame.equals(frame.sort_values(["person_id", "visit_occurrence_id", "index_time"]))
