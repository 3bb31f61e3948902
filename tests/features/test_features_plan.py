"""A compiled FeaturePlan gives exactly tabularize's matrix (synthetic hospital and MIMIC)."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from hopia.errors import InputError
from hopia.features import FeatureSpec, compile_features, tabularize
from hopia.tasks import LabelSet, build_labels, load_task

SPEC = FeatureSpec(windows=["24h", "7d", "all"], min_persons=3)


def _same_matrix(left, right) -> None:  # type: ignore[no-untyped-def]
    assert left.feature_names == right.feature_names
    pd.testing.assert_frame_equal(left.keys, right.keys)
    assert (left.X != right.X).nnz == 0
    assert np.array_equal(left.X.indptr, right.X.indptr)
    assert np.array_equal(left.X.indices, right.X.indices)


def _keys(labels: LabelSet) -> pd.DataFrame:
    return labels.labels.select("person_id", "visit_occurrence_id", "index_time").to_pandas()


def _picks(keys: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` label rows spread over the population, plus two of them moved later in time."""
    rows = keys.sort_values(["person_id", "index_time"]).iloc[
        np.linspace(0, len(keys) - 1, n).astype(int)
    ]
    moved = rows.iloc[:2].assign(index_time=rows["index_time"].iloc[:2] + pd.Timedelta(hours=30))
    return pd.concat([rows, moved], ignore_index=True)


def _check_plan(wh, task_name: str) -> None:  # type: ignore[no-untyped-def]
    task = load_task(task_name)
    labels = build_labels(wh, task)
    training = tabularize(wh, labels, SPEC)
    assert training.shape[0] > 5 and training.shape[1] > 20
    plan = compile_features(wh, SPEC, training.feature_names, task.outcome_codes())
    assert plan.compiled
    picks = _picks(_keys(labels), 6)
    # Several rows at once: the same matrix as tabularize of the same rows, bit for bit.
    import ibis

    expected = tabularize(
        wh,
        LabelSet(labels=ibis.memtable(picks), attrition=pd.DataFrame(), task=task),
        SPEC,
        feature_names=training.feature_names,
    )
    _same_matrix(plan.run(wh, picks), expected)
    # One row at a time, as the service runs it: training's row (label times) and the batch
    # row (moved times); DuckDB may add a slope's terms in another order for one row.
    for i in range(len(picks)):
        one = plan.run(wh, picks.iloc[[i]])
        key = one.keys.iloc[0]
        j = int(
            np.flatnonzero(
                (expected.keys.person_id == key.person_id)
                & (expected.keys.index_time == key.index_time)
            )[0]
        )
        got, want = one.X.toarray()[0], expected.X[j].toarray()[0]
        assert np.array_equal(got != 0, want != 0)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    # The plain path (other engines) gives the same matrix.
    plain = dataclasses.replace(plan, compiled=False)
    _same_matrix(plain.run(wh, picks), expected)


def test_plan_matches_tabularize_on_the_synthetic_hospital(tmp_path) -> None:
    from hopia.synth import synthesize

    wh = synthesize(patients=150, years=1, seed=5, url=f"duckdb:///{tmp_path}/synth.duckdb")
    _check_plan(wh, "long_stay_7d")


def test_plan_matches_tabularize_on_mimic(mimic_warehouse) -> None:
    _check_plan(mimic_warehouse, "inhospital_mortality")


def test_plan_runs_from_several_threads_and_checks_its_input(mimic_warehouse) -> None:
    wh = mimic_warehouse
    task = load_task("inhospital_mortality")
    labels = build_labels(wh, task)
    names = tabularize(wh, labels, SPEC).feature_names
    plan = compile_features(wh, SPEC, names, task.outcome_codes())
    keys = _keys(labels).sort_values(["person_id", "index_time"]).reset_index(drop=True)
    rows = [keys.iloc[[i]] for i in range(0, len(keys), max(1, len(keys) // 8))]
    alone = [plan.run(wh, row).X.toarray() for row in rows]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda row: plan.run(wh, row).X.toarray(), rows * 2))
    for i, matrix in enumerate(together):
        assert np.array_equal(matrix, alone[i % len(rows)])
    with pytest.raises(InputError, match="index_time"):
        plan.run(wh, keys.drop(columns="index_time"))
    # Duplicate keys are one row, as in tabularize.
    assert plan.run(wh, pd.concat([keys.iloc[[0]]] * 3)).shape == (1, len(names))
