"""Features of one person at one time, with the same code as training.

Training calls ``tabularize(wh, build_labels(wh, task), spec)``; serving takes the rows of
the same ``build_labels`` for one person (cached per warehouse version), keeps one
``(person, stay, index time)`` and computes its row with the model's feature names through
the same feature queries: a :class:`~hopia.features.FeaturePlan` compiled once per warehouse
version and model (building and compiling the queries costs far more than running them for
one row). The latest row of every person of the task — what a request without a time
scores — is computed once per warehouse version in one batch run of the same plan, so that
such requests only slice a row. Tests check that every path gives training's row.

Examples
--------
>>> pick_label_row(pd.DataFrame({"person_id": [1, 1], "visit_occurrence_id": [10, 11],
...     "index_time": pd.to_datetime(["2024-01-02", "2024-03-01"])}), None)["visit_occurrence_id"]
11
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import scipy.sparse as sp

    from hopia.features import FeatureMatrix, FeaturePlan, FeatureSpec
    from hopia.tasks import LabelSet, TaskSpec
    from hopia.warehouse import Warehouse

KEYS = ["person_id", "visit_occurrence_id", "index_time"]
_BUILD_LOCK = threading.Lock()
_PLAN_LOCK = threading.Lock()
_LATEST_LOCK = threading.Lock()


class NotApplicable(LookupError):
    """The person has no row in the task's population (at or before the asked time)."""


def task_label_frame(
    wh: Warehouse, task: TaskSpec, cache: MutableMapping[Any, Any] | None = None
) -> pd.DataFrame:
    """Every label key of a task (``person_id, visit_occurrence_id, index_time``), from
    ``build_labels``, kept in ``cache`` (one mapping per warehouse version)."""
    from hopia.tasks import build_labels

    key = ("labels", task.name, task.model_dump_json())
    if cache is not None and key in cache:
        return cache[key]
    # One build at a time: concurrent first requests would each scan the whole warehouse.
    with _BUILD_LOCK:
        if cache is not None and key in cache:
            return cache[key]
        frame = build_labels(wh, task).labels.select(*KEYS).to_pandas()
        frame["index_time"] = frame["index_time"].astype("datetime64[us]")
        frame = frame.sort_values(KEYS, kind="stable").reset_index(drop=True)
        if cache is not None:
            cache[key] = frame
    return frame


def _person_rows(
    wh: Warehouse, task: TaskSpec, person_id: int, cache: MutableMapping[Any, Any] | None
) -> pd.DataFrame:
    """The label rows of one person (the frame is sorted by person: one slice of it)."""
    frame = task_label_frame(wh, task, cache)
    if cache is None:
        return frame[frame["person_id"] == int(person_id)]
    key = ("label_slices", task.name, task.model_dump_json())
    slices = cache.get(key)
    if slices is None:
        persons, starts, counts = np.unique(
            frame["person_id"].to_numpy(), return_index=True, return_counts=True
        )
        slices = {
            int(p): (int(s), int(s + n)) for p, s, n in zip(persons, starts, counts, strict=True)
        }
        cache[key] = slices
    start, stop = slices.get(int(person_id), (0, 0))
    return frame.iloc[start:stop]


def pick_label_row(rows: pd.DataFrame, index_time: dt.datetime | None) -> dict[str, Any]:
    """The row to score: the latest index time (at or before ``index_time`` when given, then
    moved to ``index_time`` in the same stay)."""
    if index_time is not None:
        rows = rows[rows["index_time"] <= pd.Timestamp(index_time)]
    if rows.empty:
        raise NotApplicable("the person is not in this task's population at that time")
    row = rows.sort_values(KEYS, kind="stable").iloc[-1]
    time = pd.Timestamp(index_time) if index_time is not None else row["index_time"]
    return {
        "person_id": int(row["person_id"]),
        "visit_occurrence_id": int(row["visit_occurrence_id"]),
        "index_time": time.to_pydatetime(),
    }


def _key_frame(row: dict[str, Any]) -> pd.DataFrame:
    one = pd.DataFrame([row]).astype({"person_id": "int64", "visit_occurrence_id": "int64"})
    one["index_time"] = one["index_time"].astype("datetime64[us]")
    return one


def person_label_set(
    wh: Warehouse,
    task: TaskSpec,
    person_id: int,
    index_time: dt.datetime | None = None,
    cache: MutableMapping[Any, Any] | None = None,
) -> LabelSet:
    """The one label row to score for a person, as a :class:`~hopia.tasks.LabelSet` of the
    task (so that ``tabularize`` leaves out the task's outcome codes exactly as in training).

    Raises
    ------
    NotApplicable
        The person has no row in the task's population (at or before ``index_time``).
    """
    import ibis

    from hopia.tasks import LabelSet

    row = pick_label_row(_person_rows(wh, task, person_id, cache), index_time)
    return LabelSet(labels=ibis.memtable(_key_frame(row)), attrition=pd.DataFrame(), task=task)


def serving_features(
    wh: Warehouse, labels: LabelSet, spec: FeatureSpec, feature_names: list[str]
) -> FeatureMatrix:
    """``tabularize`` of label rows with exactly the model's columns (the plain path)."""
    from hopia.features import tabularize

    return tabularize(wh, labels, spec, feature_names=list(feature_names))


def feature_plan(
    wh: Warehouse,
    task: TaskSpec,
    spec: FeatureSpec,
    feature_names: list[str],
    cache: MutableMapping[Any, Any],
) -> FeaturePlan:
    """The model's feature queries compiled once per warehouse version (kept in ``cache``)."""
    from hopia.features import compile_features

    key = _model_key("feature_plan", task, spec, feature_names)
    plan = cache.get(key)
    if plan is None:
        with _PLAN_LOCK:
            plan = cache.get(key)
            if plan is None:
                plan = compile_features(wh, spec, list(feature_names), task.outcome_codes())
                cache[key] = plan
    return plan


@dataclass
class LatestRows:
    """Features of the latest label row of every person of a task (one batch run)."""

    X: sp.csr_matrix
    feature_names: list[str]
    keys: pd.DataFrame
    row_of: dict[int, int]

    def features(self, person_id: int) -> FeatureMatrix | None:
        """The person's row as a one-row matrix (``None`` when the person has none)."""
        from hopia.features import FeatureMatrix

        i = self.row_of.get(int(person_id))
        if i is None:
            return None
        import scipy.sparse as sp

        keys = self.keys.iloc[i : i + 1].reset_index(drop=True)
        start, stop = self.X.indptr[i], self.X.indptr[i + 1]
        row = sp.csr_matrix(  # = self.X[i : i + 1], without the indexing machinery
            (
                self.X.data[start:stop],
                self.X.indices[start:stop],
                np.array([0, stop - start], dtype=self.X.indptr.dtype),
            ),
            shape=(1, self.X.shape[1]),
        )
        return FeatureMatrix(X=row, feature_names=self.feature_names, keys=keys)


def latest_rows(
    wh: Warehouse,
    task: TaskSpec,
    spec: FeatureSpec,
    feature_names: list[str],
    cache: MutableMapping[Any, Any],
    *,
    wait: bool = True,
) -> LatestRows | None:
    """Features of every person's latest label row, computed once per warehouse version with
    the model's :func:`feature_plan`; ``None`` when another request is computing them and
    ``wait`` is false (the caller then runs the plan for its own row)."""
    key = _model_key("latest_rows", task, spec, feature_names)
    found = cache.get(key)
    if found is not None:
        return found
    if not _LATEST_LOCK.acquire(blocking=wait):
        return None
    try:
        found = cache.get(key)
        if found is None:
            frame = task_label_frame(wh, task, cache)
            latest = frame.drop_duplicates("person_id", keep="last")
            plan = feature_plan(wh, task, spec, feature_names, cache)
            matrix = plan.run(wh, latest)
            row_of = {int(p): i for i, p in enumerate(matrix.keys["person_id"].tolist())}
            found = LatestRows(matrix.X, matrix.feature_names, matrix.keys, row_of)
            cache[key] = found
    finally:
        _LATEST_LOCK.release()
    return found


def person_features(
    wh: Warehouse,
    task: TaskSpec,
    spec: FeatureSpec,
    feature_names: list[str],
    person_id: int,
    index_time: dt.datetime | None = None,
    cache: MutableMapping[Any, Any] | None = None,
) -> FeatureMatrix:
    """The features a model scores for a person at a time (default: their latest label row).

    With a ``cache`` (one mapping per warehouse version) the model's compiled
    :func:`feature_plan` computes the row, and a request without a time reads the
    precomputed :func:`latest_rows`; without one, plain ``tabularize`` runs.

    Raises
    ------
    NotApplicable
        The person has no row in the task's population (at or before ``index_time``).
    """
    if cache is None:
        labels = person_label_set(wh, task, person_id, index_time, None)
        return serving_features(wh, labels, spec, feature_names)
    if index_time is None:
        # Waiting for the batch costs less than running the plan per request meanwhile.
        latest = latest_rows(wh, task, spec, feature_names, cache)
        if latest is not None:
            features = latest.features(person_id)
            if features is None:
                raise NotApplicable("the person is not in this task's population")
            return features
    row = pick_label_row(_person_rows(wh, task, person_id, cache), index_time)
    plan = feature_plan(wh, task, spec, feature_names, cache)
    return plan.run(wh, _key_frame(row))


def _model_key(kind: str, task: TaskSpec, spec: FeatureSpec, names: list[str]) -> tuple[Any, ...]:
    return (kind, task.name, task.model_dump_json(), spec.model_dump_json(), tuple(names))
