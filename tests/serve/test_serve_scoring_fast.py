"""The one-call scoring path gives exactly what ``predict_proba`` and ``contributions`` give."""

from __future__ import annotations

import numpy as np
import pytest

from hopia.features import FeatureSpec, tabularize
from hopia.models import LightGBMRiskModel, LogisticRiskModel, contributions
from hopia.serve._features import LatestRows
from hopia.serve._scoring import _contributions_of, _risk_of, _score_of
from hopia.tasks import build_labels, load_task
from hopia.warehouse import open_warehouse


@pytest.fixture(scope="module")
def task_matrix(synth_warehouse_url: str):  # type: ignore[no-untyped-def]
    wh = open_warehouse(synth_warehouse_url, read_only=True)
    labels = build_labels(wh, load_task("long_stay_7d"))
    y = labels.labels.select("label").to_pandas()["label"].to_numpy()
    matrix = tabularize(wh, labels, FeatureSpec(windows=["24h", "all"], min_persons=5))
    wh.close()
    return matrix, y


@pytest.mark.parametrize(
    "estimator",
    [
        LightGBMRiskModel(n_estimators=40, min_child_samples=5, n_jobs=1),
        LightGBMRiskModel(n_estimators=40, min_child_samples=5, calibration="isotonic", n_jobs=1),
        LightGBMRiskModel(n_estimators=40, min_child_samples=5, calibration="none", n_jobs=1),
        LogisticRiskModel(),
    ],
    ids=["lightgbm-platt", "lightgbm-isotonic", "lightgbm-none", "logistic"],
)
def test_one_call_equals_the_two_calls(task_matrix, estimator) -> None:  # type: ignore[no-untyped-def]
    matrix, y = task_matrix
    model = estimator.fit(matrix.X, y, index_time=matrix.keys["index_time"].to_numpy())
    if isinstance(model, LightGBMRiskModel):  # a real model: trees with splits
        assert model.booster_.trees_to_dataframe()["split_feature"].notna().any()
    for i in range(0, matrix.X.shape[0], 3):  # single rows: the service's (dense) path
        row = matrix.X[i : i + 1]
        risk, contrib = model.risk_and_contributions(row)
        np.testing.assert_array_equal(risk, model.predict_proba(row)[:, 1])
        np.testing.assert_array_equal(contrib, contributions(model, row))
        served_risk, served_contrib = _score_of(model, row)
        np.testing.assert_array_equal(served_risk, _risk_of(model, row))
        np.testing.assert_array_equal(served_contrib, _contributions_of(model, row))
    risk, contrib = model.risk_and_contributions(matrix.X)  # many rows: the CSR path
    np.testing.assert_array_equal(risk, model.predict_proba(matrix.X)[:, 1])
    np.testing.assert_array_equal(contrib, contributions(model, matrix.X))
    assert np.unique(risk).size > 1


def test_a_latest_row_is_the_matrix_row(task_matrix) -> None:  # type: ignore[no-untyped-def]
    matrix, _ = task_matrix
    person_ids = matrix.keys["person_id"].tolist()
    latest = LatestRows(
        matrix.X, matrix.feature_names, matrix.keys, {p: i for i, p in enumerate(person_ids)}
    )
    for person in person_ids[::7]:
        i = latest.row_of[person]  # the person's last row of the matrix
        row = latest.features(person)
        assert row is not None
        np.testing.assert_array_equal(row.X.toarray(), matrix.X[i : i + 1].toarray())
        assert row.keys.to_dict("records") == matrix.keys.iloc[i : i + 1].to_dict("records")
    assert latest.features(-1) is None


@pytest.mark.parametrize(
    "estimator",
    [LightGBMRiskModel(n_estimators=40, min_child_samples=5, n_jobs=1), LogisticRiskModel()],
    ids=["lightgbm", "logistic"],
)
def test_precomputed_latest_predictions_equal_scoring_the_row_alone(
    synth_warehouse_url: str, task_matrix, estimator
) -> None:  # type: ignore[no-untyped-def]
    """A request without a time reads the batch-scored latest row: the same risk, factors
    and values, bit for bit, as scoring that row alone (what the service did before)."""
    from functools import partial

    from hopia.serve._features import latest_rows
    from hopia.serve._scoring import (
        RegisteredModel,
        _present_value,
        latest_scores,
        predict_person,
        top_factors,
    )

    matrix, y = task_matrix
    fitted = estimator.fit(matrix.X, y, index_time=matrix.keys["index_time"].to_numpy())
    task = load_task("long_stay_7d")
    model = RegisteredModel(
        task="long_stay_7d", version="1", task_spec=task,
        feature_spec=FeatureSpec(windows=["24h", "all"], min_persons=5),
        feature_names=matrix.feature_names, risk=partial(_risk_of, fitted),
        contributions=partial(_contributions_of, fitted), score=partial(_score_of, fitted),
    )  # fmt: skip
    wh = open_warehouse(synth_warehouse_url, read_only=True)
    cache: dict = {}
    rows = latest_rows(wh, task, model.feature_spec, model.feature_names, cache)
    assert rows is not None and len(rows.row_of) > 10
    scored = latest_scores(wh, model, cache)
    assert latest_scores(wh, model, cache) is scored  # computed once per warehouse version
    factor_count = 0
    for person in rows.row_of:
        alone = rows.features(person)
        assert alone is not None
        risk, contrib = _score_of(fitted, alone.X)
        served = predict_person(wh, model, person, None, cache)
        assert served.risk == float(np.clip(risk[0], 0.0, 1.0))
        expected = top_factors(contrib[0], model.feature_names)
        assert [(model.feature_names.index(f.feature), f.contribution) for f in served.factors] == (
            expected
        )
        assert [f.value for f in served.factors] == [
            _present_value(alone.X, j) for j, _ in expected
        ]
        assert served.index_time == alone.keys["index_time"][0].to_pydatetime()
        assert served.person_id == person
        factor_count += len(served.factors)
    assert factor_count > 0
    wh.close()
