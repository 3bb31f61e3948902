"""Serving computes the same features as training for the same person and time."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from hopia.features import FeatureSpec, tabularize
from hopia.serve._features import (
    NotApplicable,
    latest_rows,
    person_features,
    person_label_set,
    serving_features,
)
from hopia.tasks import build_labels, load_task
from hopia.warehouse import open_warehouse


def test_training_and_serving_features_are_identical(synth_warehouse_url: str) -> None:
    wh = open_warehouse(synth_warehouse_url, read_only=True)
    task = load_task("long_stay_7d")
    spec = FeatureSpec(windows=["24h", "all"], min_persons=3)
    training = tabularize(wh, build_labels(wh, task), spec)
    assert training.shape[0] > 20 and training.shape[1] > 20
    keys = training.keys
    # A few rows spread over the matrix, each scored alone as the service does.
    picks = np.linspace(0, len(keys) - 1, 3).astype(int)
    cache: dict = {}
    for i in picks:
        person, time = int(keys.person_id[i]), keys.index_time[i].to_pydatetime()
        labels = person_label_set(wh, task, person, time, cache)
        served = serving_features(wh, labels, spec, training.feature_names)
        assert served.feature_names == training.feature_names
        assert served.keys.visit_occurrence_id[0] == keys.visit_occurrence_id[i]
        # Same columns, same values; DuckDB may sum a slope's terms in another order for one
        # row than for many, hence a relative tolerance of 1e-12 instead of bit equality.
        served_row, training_row = served.X.toarray()[0], training.X[i].toarray()[0]
        assert np.array_equal(served_row != 0, training_row != 0)
        np.testing.assert_allclose(served_row, training_row, rtol=1e-12, atol=0)


def test_the_served_paths_give_the_training_rows(synth_warehouse_url: str) -> None:
    """What the service runs (compiled plan, precomputed latest rows) is training's row."""
    wh = open_warehouse(synth_warehouse_url, read_only=True)
    task = load_task("long_stay_7d")
    spec = FeatureSpec(windows=["24h", "all"], min_persons=3)
    training = tabularize(wh, build_labels(wh, task), spec)
    names, keys = training.feature_names, training.keys
    cache: dict = {}

    def check(served, i: int) -> None:  # type: ignore[no-untyped-def]
        assert served.feature_names == names
        assert served.keys.visit_occurrence_id[0] == keys.visit_occurrence_id[i]
        assert served.keys.index_time[0] == keys.index_time[i]
        served_row, training_row = served.X.toarray()[0], training.X[i].toarray()[0]
        assert np.array_equal(served_row != 0, training_row != 0)
        np.testing.assert_allclose(served_row, training_row, rtol=1e-12, atol=0)

    for i in np.linspace(0, len(keys) - 1, 4).astype(int):
        person, time = int(keys.person_id[i]), keys.index_time[i].to_pydatetime()
        check(person_features(wh, task, spec, names, person, time, cache), i)  # compiled plan
    latest = latest_rows(wh, task, spec, names, cache)
    assert latest is not None and len(latest.row_of) == keys.person_id.nunique()
    for person in keys.person_id.unique()[:: max(1, keys.person_id.nunique() // 4)]:
        i = int(np.flatnonzero(keys.person_id == person)[-1])  # the person's latest row
        check(person_features(wh, task, spec, names, int(person), None, cache), i)
        check(person_features(wh, task, spec, names, int(person), None, None), i)  # plain
    with pytest.raises(NotApplicable):
        person_features(wh, task, spec, names, 10**12, None, cache)


def test_a_person_outside_the_population_is_not_applicable(synth_warehouse_url: str) -> None:
    wh = open_warehouse(synth_warehouse_url, read_only=True)
    with pytest.raises(NotApplicable):
        person_label_set(wh, load_task("long_stay_7d"), 10**12, None, {})
    with pytest.raises(NotApplicable):
        person_label_set(wh, load_task("long_stay_7d"), 1, dt.datetime(1900, 1, 1), {})
