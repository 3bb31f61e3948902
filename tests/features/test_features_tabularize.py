"""Features of the hand-made ward patient (see ward_patient.py), worked out by hand."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest
from ward_patient import HR, INDEX, RR, TEMP, ward_tables

from hopia.errors import InputError
from hopia.features import FeatureMatrix, FeatureSpec, load_feature_spec, tabularize
from hopia.tasks import LabelSet, task_from_dict
from hopia.warehouse import write_warehouse

SPEC = FeatureSpec(windows=["24h", "7d", "365d", "all"], min_persons=1)


@pytest.fixture(scope="module")
def ward(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("ward")
    return write_warehouse(ward_tables(), f"duckdb:///{folder}/w.duckdb")


@pytest.fixture(scope="module")
def ward_with_future(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("ward-future")
    return write_warehouse(ward_tables(future=True), f"duckdb:///{folder}/w.duckdb")


def rows(*items: tuple[int, int | None, dt.datetime]) -> pd.DataFrame:
    return pd.DataFrame(items, columns=["person_id", "visit_occurrence_id", "index_time"])


def features(fm: FeatureMatrix, row: int = 0) -> dict[str, float]:
    dense = fm.X[row].toarray().ravel()
    stored = set(fm.X[row].indices)
    return {name: dense[j] for j, name in enumerate(fm.feature_names) if j in stored}


def test_hand_computed_features(ward) -> None:
    fm = tabularize(ward, rows((1, 10, INDEX)), SPEC)
    got = features(fm)
    expected = {
        f"{HR}|count|24h": 2, f"{HR}|count|7d": 3, f"{HR}|count|365d": 4, f"{HR}|count|all": 4,
        f"{HR}|last|24h": 90, f"{HR}|last|7d": 90, f"{HR}|last|all": 90,
        f"{HR}|mean|24h": 85, f"{HR}|mean|7d": 90, f"{HR}|mean|all": 85,
        f"{HR}|min|24h": 80, f"{HR}|max|24h": 90, f"{HR}|min|7d": 80, f"{HR}|max|7d": 100,
        f"{HR}|min|all": 70, f"{HR}|max|all": 100,
        f"{HR}|slope|24h": 10.0,
        f"{HR}|slope|7d": -460 / 1442,  # x = -48, -2, -1 h; y = 100, 80, 90
        f"{HR}|hours_since_last|all": 1,
        f"{TEMP}|count|24h": 2, f"{TEMP}|last|24h": 38.5, f"{TEMP}|mean|24h": 37.75,
        f"{TEMP}|hours_since_last|all": 1,
        f"{RR}|count|24h": 1, f"{RR}|last|24h": 20, f"{RR}|hours_since_last|all": 0,
        "ICD10/I50.9|count|7d": 1, "ICD10/I50.9|hours_since_last|all": 32,
        "ICD10/E11.9|count|365d": 1,
        "ATC/C03CA01|count|24h": 2, "ATC/C03CA01|hours_since_last|all": 0.5,
        "VISIT/IP|count|365d": 1,
        "sex=F": 1, "hours_since_admission": 48, "unit=REA": 1,
    }  # fmt: skip
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-12), name
    assert got["age"] == pytest.approx(
        (INDEX - dt.datetime(1960, 1, 1)).total_seconds() / (365.25 * 86400)
    )
    # no 24h count of heart failure: dated 11 Mar (midnight, 32 h before); the 12 Mar one is unseen
    assert "ICD10/I50.9|count|24h" not in got
    assert got["ICD10/I50.9|count|all"] == 1
    # the current stay's own visit never leaks into the features
    assert got["VISIT/IP|count|all"] == 1
    assert f"{HR}|slope|all" in got and f"{TEMP}|slope|24h" not in got  # one time point: no slope
    assert list(fm.keys.columns) == ["person_id", "visit_occurrence_id", "index_time"]


def test_unit_ties_go_to_the_larger_detail_id(ward) -> None:
    fm = tabularize(ward, rows((1, 10, dt.datetime(2024, 3, 11, 12))), SPEC)
    got = features(fm)
    assert got["unit=GER"] == 1  # CARDIO (id 3) and GER (id 4) both start 11 Mar 10:00
    assert not any(name.startswith("unit=") and name != "unit=GER" for name in got)


def test_future_events_change_nothing(ward, ward_with_future) -> None:
    labels = rows(
        (1, 10, INDEX), (1, 10, dt.datetime(2024, 3, 11, 12)), (2, 20, dt.datetime(2024, 3, 12))
    )
    before = tabularize(ward, labels, SPEC)
    after = tabularize(ward_with_future, labels, SPEC)
    assert after.feature_names == before.feature_names
    assert (after.X != before.X).nnz == 0
    assert after.keys.equals(before.keys)


def test_serving_one_row_reproduces_the_training_row(ward) -> None:
    labels = rows(
        (2, 20, dt.datetime(2024, 3, 12)), (1, 10, INDEX), (1, 10, dt.datetime(2024, 3, 11, 12))
    )
    train = tabularize(ward, labels, SPEC)
    position = train.keys.index[(train.keys.person_id == 1) & (train.keys.index_time == INDEX)][0]
    served = tabularize(ward, rows((1, 10, INDEX)), SPEC, feature_names=train.feature_names)
    assert served.feature_names == train.feature_names
    assert np.array_equal(served.X.toarray()[0], train.X.toarray()[position])
    assert (
        served.X[0] != train.X[position]
    ).nnz == 0  # the same stored entries (explicit zeros too)


def test_given_feature_names_fix_columns_and_order(ward) -> None:
    names = ["unit=REA", f"{HR}|mean|24h", "LOINC/0000-0|count|24h", "age"]
    fm = tabularize(ward, rows((1, 10, INDEX)), SPEC, feature_names=names)
    assert fm.feature_names == names
    dense = fm.X.toarray()[0]
    assert dense[0] == 1 and dense[1] == 85 and dense[2] == 0 and dense[3] > 64
    with pytest.raises(InputError):
        tabularize(ward, rows((1, 10, INDEX)), SPEC, feature_names=["age", "age"])


def test_min_persons_drops_rare_codes(ward) -> None:
    labels = rows((1, 10, INDEX), (2, 20, dt.datetime(2024, 3, 12)))
    fm = tabularize(ward, labels, SPEC.model_copy(update={"min_persons": 2}))
    codes = {name.rsplit("|", 2)[0] for name in fm.feature_names if "|" in name}
    assert codes == {HR}  # the only code both persons have before their index times
    assert fm.keys.person_id.tolist() == [1, 2]
    assert "sex=M" in fm.feature_names and "sex=F" in fm.feature_names


def test_outcome_codes_of_the_task_are_not_features(ward) -> None:
    task = task_from_dict(
        {
            "name": "hf",
            "description": "Heart failure coded within 7 days.",
            "population": {"visit_types": ["IP"]},
            "index": {"anchor": "admission", "offset": "48h"},
            "outcome": {"any_of": [{"type": "codes", "codes": ["ICD10/I50*"]}], "window": "7d"},
        }
    )
    labels = LabelSet(
        labels=ibis.memtable(rows((1, 10, INDEX))), attrition=pd.DataFrame(), task=task
    )
    fm = tabularize(ward, labels, SPEC)
    assert not any(name.startswith("ICD10/I50") for name in fm.feature_names)
    assert f"{HR}|count|24h" in fm.feature_names


def test_parquet_round_trip(ward, tmp_path) -> None:
    labels = rows(
        (1, 10, INDEX), (2, 20, dt.datetime(2024, 3, 12)), (2, None, dt.datetime(2020, 1, 1))
    )
    fm = tabularize(ward, labels, SPEC.model_copy(update={"static": []}))
    assert fm.X[2].nnz == 0  # nothing known in 2020
    path = tmp_path / "features.parquet"
    fm.to_parquet(path)
    back = FeatureMatrix.read_parquet(path)
    assert back.feature_names == fm.feature_names
    assert (back.X != fm.X).nnz == 0
    assert back.keys.person_id.tolist() == fm.keys.person_id.tolist()
    assert back.keys.index_time.tolist() == fm.keys.index_time.tolist()


def test_feature_spec_errors_name_the_key(tmp_path) -> None:
    path = tmp_path / "features.yaml"
    path.write_text("windows: [24h, 3 days]\n")
    with pytest.raises(
        InputError, match=r"field windows\.1: expected a window such as 24h, 7d, 365d or all"
    ):
        load_feature_spec(path)
    path.write_text("windowz: [24h]\n")
    with pytest.raises(InputError, match=r"field windowz: unknown key"):
        load_feature_spec(path)
    path.write_text("windows: [6h, all]\nmin_persons: 3\n")
    assert load_feature_spec(path).window_seconds() == {"6h": 21600, "all": None}
