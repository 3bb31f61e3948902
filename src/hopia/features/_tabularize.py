"""``tabularize``: label rows become a sparse feature matrix, computed inside the engine.

The events of each labelled person are joined to the row's index time, cut by the leakage
rule (``time <= index_time``; date-only events strictly before the index date), and
aggregated per (row, code) in the engine (``_windows.py``: per age bucket, then per window):
counts per window, mean/min/max/slope of values per window, hours since the last event, and
the last value (ties in time: the larger value). Only the aggregates leave the engine;
``_assemble.py`` turns them into a CSR matrix with NumPy, never looping over patients.

Worked example (``tests/features``): heart rate 80 at 06:00 and 90 at 07:00, index at 08:00,
window 24h → ``LOINC/8867-4|last|24h = 90``, ``|mean|24h = 85``, ``|slope|24h = 10`` (per hour),
``|count|24h = 2``, ``|hours_since_last|all = 1``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.datatypes as dt
import numpy as np

from hopia.features._assemble import assemble
from hopia.features._matrix import KEY_COLUMNS, FeatureMatrix
from hopia.features._spec import FeatureSpec
from hopia.features._windows import common_codes, window_aggregates
from hopia.tasks._cohort import (
    age_years,
    care_units,
    code_matches,
    hours_between,
    persons,
    stays,
    unit_at_index,
)
from hopia.tasks._spec import IcuUnits

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    import pyarrow as pa

    from hopia.tasks import LabelSet
    from hopia.warehouse import Warehouse


def tabularize(
    wh: Warehouse,
    labels: LabelSet | ir.Table | pd.DataFrame,
    spec: FeatureSpec | None = None,
    *,
    feature_names: list[str] | None = None,
) -> FeatureMatrix:
    """Features of every label row, from the events known at its index time.

    Parameters
    ----------
    wh
        The warehouse; aggregation runs in its engine (DuckDB, Spark, …).
    labels
        A :class:`~hopia.tasks.LabelSet`, or any table with ``person_id,
        visit_occurrence_id, index_time`` (Ibis or pandas). A LabelSet's outcome codes are
        kept out of the features.
    spec
        Windows, aggregates and ``min_persons`` (default :class:`FeatureSpec`).
    feature_names
        The columns of a model trained earlier: the matrix has exactly these columns in this
        order (``min_persons`` is not applied); this is how a model is served.

    Returns
    -------
    FeatureMatrix
        ``.X`` (CSR), ``.feature_names``, ``.keys`` (rows ordered by person, stay, index time).

    Examples
    --------
    >>> fm = tabularize(wh, build_labels(wh, load_task("long_stay_7d")))  # doctest: +SKIP
    >>> fm.feature_names[:3]  # doctest: +SKIP
    ['age', 'sex=F', 'sex=M']
    """
    spec = spec or FeatureSpec()
    rows, exclude = _label_rows(labels)
    exclude = [*spec.exclude_codes, *exclude]
    key_frame = _key_frame(rows)
    keys = ibis.memtable(
        key_frame.assign(row=np.arange(len(key_frame), dtype=np.int64)),
        schema={
            "person_id": "int64",
            "visit_occurrence_id": "int64",
            "index_time": "timestamp",
            "row": "int64",
        },
    )
    slots = _slots(spec)
    min_persons = None if feature_names is not None else spec.min_persons
    aggregates = _code_aggregates(
        wh, keys, spec, slots, exclude, _wanted_codes(feature_names), min_persons
    )
    statics = _static_features(wh, keys, spec)
    X, names = assemble(aggregates, slots, statics, len(key_frame), feature_names, spec.dtype)
    return FeatureMatrix(X=X, feature_names=names, keys=key_frame)


def _label_rows(labels: Any) -> tuple[ir.Table, list[str]]:
    """The label rows as an Ibis table, and the codes the task's outcome is made of."""
    import pandas as pd

    exclude: list[str] = []
    if hasattr(labels, "labels") and hasattr(labels, "task"):
        exclude = labels.task.outcome_codes()
        labels = labels.labels
    if isinstance(labels, pd.DataFrame):
        missing = [c for c in KEY_COLUMNS if c not in labels.columns]
        if missing:
            from hopia.errors import InputError

            raise InputError("labels", f"missing column(s) {missing}; expected {KEY_COLUMNS}")
        labels = ibis.memtable(labels[KEY_COLUMNS])
    table = labels.select(*KEY_COLUMNS)
    table = table.cast(
        {"person_id": "int64", "visit_occurrence_id": "int64", "index_time": "timestamp"}
    )
    return table, exclude


def _key_frame(rows: ir.Table) -> pd.DataFrame:
    """Distinct label keys ordered by person, stay, index time: matrix row ``i`` is line ``i``."""
    frame = rows.distinct().to_pandas()
    frame["visit_occurrence_id"] = frame["visit_occurrence_id"].astype("Int64")
    frame["index_time"] = frame["index_time"].astype("datetime64[us]")
    frame = frame.sort_values(KEY_COLUMNS, na_position="last", kind="stable")
    return frame.reset_index(drop=True)[KEY_COLUMNS]


def _slots(spec: FeatureSpec) -> list[tuple[str, str]]:
    """Every (aggregate, window) a code can produce, in column order."""
    windows = list(spec.window_seconds())
    slots = [("count", w) for w in windows]
    slots += [
        (agg, w)
        for agg in ("last", "mean", "min", "max", "slope")
        if agg in spec.value_aggregates
        for w in windows
    ]
    if spec.time_since_last:
        slots.append(("hours_since_last", "all"))
    return slots


def _wanted_codes(feature_names: list[str] | None) -> list[str] | None:
    """The codes a fixed list of feature names needs (``None``: every code)."""
    if feature_names is None:
        return None
    return sorted({name.rsplit("|", 2)[0] for name in feature_names if name.count("|") >= 2})


def _code_aggregates(
    wh: Warehouse,
    keys: ir.Table,
    spec: FeatureSpec,
    slots: list[tuple[str, str]],
    exclude: list[str],
    wanted: list[str] | None,
    min_persons: int | None,
) -> pa.Table:
    """``row, code, s0, s1, …``: one column per slot, null where the slot has no value."""
    events = wh.events()
    domains = sorted(set(spec.count_domains) | set(spec.value_domains))
    events = events.filter(events.domain.isin(domains))
    if exclude:
        events = events.filter(~code_matches(events.code, exclude))
    if wanted is None and min_persons is not None and min_persons > 1:
        # a short query of its own: the main one then reads only the codes kept
        wanted = sorted(common_codes(events, keys, min_persons).to_pyarrow().column(0).to_pylist())
    if wanted is not None:
        if not wanted:
            return _empty_aggregates(slots)
        events = events.filter(events.code.isin(wanted))
    events = events.select(
        "person_id", "time", "code", "value", "domain", "visit_occurrence_id", "date_only"
    )
    return window_aggregates(events, keys, spec, slots).to_pyarrow()


def _empty_aggregates(slots: list[tuple[str, str]]) -> pa.Table:
    import pyarrow as pa

    fields = [("row", pa.int64()), ("code", pa.string())] + [
        (f"s{i}", pa.float64()) for i in range(len(slots))
    ]
    return pa.schema(fields).empty_table()


def _static_features(wh: Warehouse, keys: ir.Table, spec: FeatureSpec) -> pd.DataFrame:
    """``row, age, sex, hours_since_admission, unit`` (only the columns the spec asks for)."""
    import pandas as pd

    if not spec.static:
        return pd.DataFrame({"row": np.array([], dtype=np.int64)})
    table = keys.select("row", "person_id", "visit_occurrence_id", "index_time")
    wanted = ["row"]
    if "age" in spec.static or "sex" in spec.static:
        table = table.left_join(persons(wh), "person_id").drop("person_id_right")
        if "age" in spec.static:
            table = table.mutate(age=age_years(table.index_time, table.birth_time))
            wanted.append("age")
        if "sex" in spec.static:
            wanted.append("sex")
    if "hours_since_admission" in spec.static:
        visits = stays(wh).select(stay_id="visit_occurrence_id", stay_start="start")
        table = table.left_join(visits, table.visit_occurrence_id == visits.stay_id).drop("stay_id")
        since = hours_between(table.stay_start, table.index_time)
        table = table.mutate(
            hours_since_admission=ibis.ifelse(since >= 0, since, ibis.null(dt.float64))
        )
        wanted.append("hours_since_admission")
    if "unit" in spec.static:
        current = unit_at_index(
            keys, care_units(wh, IcuUnits()), ["row", "visit_occurrence_id", "index_time"]
        )
        current = current.select(unit_row="row", unit="unit")
        table = table.left_join(current, table.row == current.unit_row).drop("unit_row")
        wanted.append("unit")
    return table.select(*wanted).to_pandas()
