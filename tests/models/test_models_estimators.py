"""Risk models: calibration on held-out training rows, contributions, splits, explanations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.special import logit

from hopia.errors import InputError
from hopia.models import (
    LightGBMRiskModel,
    LogisticRiskModel,
    contributions,
    describe_feature,
    explain_rows,
    feature_importance_table,
    person_folds,
    person_split,
    readable_feature,
    temporal_split,
    value_columns,
)
from hopia.models._estimators import calibration_split, resolve_threads

NAMES = ["LOINC/8867-4|last|24h", "ICD10/I50.9|count|365d", "age", "sex=F"]


def _clinical_rows(n=3000, seed=0):
    """Heart rate (missing for 30 %), heart-failure count, age, sex; risk rises with all."""
    rng = np.random.default_rng(seed)
    hr = rng.normal(85, 15, n)
    hf = rng.poisson(0.3, n).astype(float)
    age = rng.uniform(20, 95, n)
    female = rng.integers(0, 2, n).astype(float)
    risk = 1 / (1 + np.exp(-(-2 + 0.05 * (hr - 85) + 0.8 * hf + 0.04 * (age - 60))))
    y = (rng.uniform(size=n) < risk).astype(int)
    measured = rng.uniform(size=n) > 0.3
    dense = np.column_stack([np.where(measured, hr, 0.0), hf, age, female])
    times = pd.Timestamp("2023-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 365, n)), unit="D")
    return sp.csr_matrix(dense), y, times.to_numpy(), rng.integers(0, n // 2, n)


@pytest.mark.parametrize(
    "make", [lambda: LightGBMRiskModel(n_estimators=80, n_jobs=1), LogisticRiskModel]
)
def test_models_calibrate_on_the_latest_training_rows_and_are_calibrated(make):
    X, y, times, _persons = _clinical_rows()
    train, test = np.arange(2000), np.arange(2000, 3000)
    model = make().fit(X[train], y[train], index_time=times[train], feature_names=NAMES)
    assert model.calibration_used_ == "platt"
    assert model.n_calibration_rows_ == 400
    assert model.feature_names_ == NAMES
    p = model.predict_proba(X[test])[:, 1]
    assert p.mean() == pytest.approx(y[test].mean(), abs=0.03)
    from hopia.evaluation import auroc

    assert auroc(y[test], p) > 0.7


def test_calibration_split_by_time_and_by_person():
    y = np.tile([0, 1], 50)
    times = np.arange(100)[::-1]  # row 0 is the latest
    fit, cal = calibration_split(100, y, 0.2, index_time=times, groups=None, seed=0)
    assert sorted(cal) == list(range(20))  # the 20 latest rows calibrate
    persons = np.repeat(np.arange(25), 4)
    fit, cal = calibration_split(100, y, 0.2, index_time=None, groups=persons, seed=0)
    assert not set(persons[fit]) & set(persons[cal])
    assert (
        calibration_split(
            100,
            np.r_[np.zeros(95), np.ones(5)],
            0.2,
            index_time=np.arange(100),
            groups=None,
            seed=0,
        )
        is None
    )


@pytest.mark.parametrize(
    "make", [lambda: LightGBMRiskModel(n_estimators=40, n_jobs=1), LogisticRiskModel]
)
def test_contributions_sum_to_the_calibrated_log_odds(make):
    X, y, times, _ = _clinical_rows(1500, seed=1)
    model = make().fit(X, y, index_time=times, feature_names=NAMES)
    contrib = contributions(model, X[:50])
    assert contrib.shape == (50, len(NAMES) + 1)
    p = np.clip(model.predict_proba(X[:50])[:, 1], 1e-12, 1 - 1e-12)
    np.testing.assert_allclose(contrib.sum(axis=1), logit(p), atol=1e-6)
    table = feature_importance_table(model)
    assert table.share.sum() == pytest.approx(1.0) and set(table.feature) <= set(NAMES)


def test_logistic_model_imputes_absent_measurements_with_the_median():
    X, y, _times, _ = _clinical_rows(2000, seed=2)
    model = LogisticRiskModel(calibration="none").fit(X, y, feature_names=NAMES)
    assert model.missing_columns_.tolist() == [True, False, True, False]
    present = X[:, 0].toarray().ravel()
    assert model.medians_[0] == pytest.approx(np.median(present[present != 0]))
    # A row without heart rate scores as one with the median heart rate.
    row = sp.csr_matrix([[0.0, 1.0, 70.0, 1.0]])
    median_row = sp.csr_matrix([[model.medians_[0], 1.0, 70.0, 1.0]])
    assert model.decision_function(row)[0] == pytest.approx(model.decision_function(median_row)[0])
    assert model.coef_[0] > 0 and model.coef_[1] > 0


def test_threads_come_from_hopia_threads():
    from hopia.settings import get_settings

    assert resolve_threads(3) == 3
    assert resolve_threads(None) == get_settings().threads


def test_value_columns_and_readable_phrases():
    assert value_columns(NAMES) == [0, 2]
    assert readable_feature("LOINC/2524-7|max|24h") == "Lactate (highest, 24 h)"
    assert readable_feature("VISIT/ER|count|365d") == "Emergency visits (count, 365 d)"
    assert describe_feature("LOINC/8867-4|last|24h", 118.0, low=60, high=100) == (
        "High heart rate (last 24 h: 118 /min)"
    )
    assert describe_feature("LOINC/59408-5|min|24h", 88.0, low=94, high=98) == (
        "Low SpO2 (lowest 24 h: 88 %)"
    )
    assert describe_feature("LOINC/8867-4|last|24h", None) == "Heart rate not measured (24 h)"


def test_explain_rows_gives_top_features_with_direction():
    X, y, times, _ = _clinical_rows(1500, seed=3)
    model = LightGBMRiskModel(n_estimators=40, n_jobs=1).fit(
        X, y, index_time=times, feature_names=NAMES
    )
    reference = pd.DataFrame(
        {"low": [70.0, np.nan, 40.0, np.nan], "high": [100.0, np.nan, 80.0, np.nan]}, index=NAMES
    )
    rows = explain_rows(model, X[:3], top=2, reference=reference)
    assert len(rows) == 3 and all(len(r) <= 2 for r in rows)
    first = rows[0][0]
    assert first["direction"] in {"raises the risk", "lowers the risk"}
    assert first["phrase"].endswith(first["direction"])


def test_temporal_split_tests_on_later_rows_and_counts_shared_persons():
    times = pd.date_range("2023-01-01", periods=100, freq="D")
    persons = np.arange(100) % 60
    split = temporal_split(times, test_fraction=0.25, person=persons)
    assert times[split.train].max() < times[split.test].min()
    assert split.test.size == 25
    assert split.details["persons_in_both"] == len(
        set(persons[split.train]) & set(persons[split.test])
    )
    with pytest.raises(InputError, match="one index time"):
        temporal_split([times[0]] * 5)


def test_person_split_and_folds_keep_persons_together():
    persons = np.repeat(np.arange(40), 3)
    split = person_split(persons, test_fraction=0.25, seed=1)
    assert not set(persons[split.train]) & set(persons[split.test])
    assert len(set(persons[split.test])) == 10
    folds = person_folds(persons, n_folds=4, seed=1)
    for p in range(40):
        assert len(set(folds[persons == p])) == 1
    assert sorted(set(folds)) == [0, 1, 2, 3]


def test_isotonic_calibration_and_no_calibration():
    X, y, times, _ = _clinical_rows(2000, seed=4)
    iso = LogisticRiskModel(calibration="isotonic").fit(X, y, index_time=times, feature_names=NAMES)
    p = iso.predict_proba(X)[:, 1]
    assert iso.calibration_used_ == "isotonic" and p.min() >= 0 and p.max() <= 1
    assert iso.calibrated_logit_map() is None  # contributions stay on the raw scale
    assert contributions(iso, X[:5]).shape == (5, len(NAMES) + 1)
    raw = LogisticRiskModel(calibration="none").fit(X, y)
    assert raw.calibration_used_ == "none" and raw.n_calibration_rows_ == 0
    with pytest.raises(ValueError, match="calibration must be one of"):
        LogisticRiskModel(calibration="magic").fit(X, y)
