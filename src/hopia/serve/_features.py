"""Features of one person at one time, with the same code as training.

Training calls ``tabularize(wh, build_labels(wh, task), spec)``; serving takes the rows of
the same ``build_labels`` for one person (cached per warehouse version), keeps one
``(person, stay, index time)`` and calls the same ``tabularize`` with the model's feature
names. A test checks that both give the same row.

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
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from hopia.features import FeatureMatrix, FeatureSpec
    from hopia.tasks import LabelSet, TaskSpec
    from hopia.warehouse import Warehouse

KEYS = ["person_id", "visit_occurrence_id", "index_time"]
_BUILD_LOCK = threading.Lock()


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

    frame = task_label_frame(wh, task, cache)
    row = pick_label_row(frame[frame["person_id"] == int(person_id)], index_time)
    one = pd.DataFrame([row]).astype({"person_id": "int64", "visit_occurrence_id": "int64"})
    one["index_time"] = one["index_time"].astype("datetime64[us]")
    return LabelSet(labels=ibis.memtable(one), attrition=pd.DataFrame(), task=task)


def serving_features(
    wh: Warehouse, labels: LabelSet, spec: FeatureSpec, feature_names: list[str]
) -> FeatureMatrix:
    """``tabularize`` of the label row with exactly the model's columns."""
    from hopia.features import tabularize

    return tabularize(wh, labels, spec, feature_names=list(feature_names))
