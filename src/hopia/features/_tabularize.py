"""``tabularize``: label rows become a sparse feature matrix, computed inside the engine.

The events of each labelled person are joined to the row's index time, cut by the leakage
rule (``time <= index_time``; date-only events strictly before the index date), and
aggregated per (row, code) in one grouped query: counts per window, mean/min/max/slope of
values per window, hours since the last event, and the last value (a window function with a
deterministic tie-break). Only the aggregates leave the engine; Python turns them into a CSR
matrix with NumPy, never looping over patients.

Worked example (``tests/features``): heart rate 80 at 06:00 and 90 at 07:00, index at 08:00,
window 24h → ``LOINC/8867-4|last|24h = 90``, ``|mean|24h = 85``, ``|slope|24h = 10`` (per hour),
``|count|24h = 2``, ``|hours_since_last|all = 1``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.datatypes as dt
import numpy as np

from hopia.features._matrix import KEY_COLUMNS, FeatureMatrix
from hopia.features._spec import FeatureSpec
from hopia.tasks._cohort import (
    age_years,
    care_units,
    code_matches,
    hours_between,
    persons,
    seen_at,
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

_STATIC_ORDER = ("age", "sex", "hours_since_admission", "unit")


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
    entries = _long_entries(aggregates, slots, statics)
    X, names = _to_csr(entries, len(key_frame), feature_names, spec.dtype)
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
    if wanted is not None:
        if not wanted:
            return _empty_aggregates(slots)
        events = events.filter(events.code.isin(wanted))
    k = keys.select(
        "row", key_person="person_id", key_visit="visit_occurrence_id", key_time="index_time"
    )
    joined = k.inner_join(events, k.key_person == events.person_id)
    own_visit = (
        (joined.domain == "visit") & (joined.visit_occurrence_id == joined.key_visit)
    ).fill_null(False)
    joined = joined.filter(seen_at(joined.time, joined.date_only, joined.key_time) & ~own_visit)
    joined = joined.select(
        "row",
        "code",
        "time",
        "domain",
        person_id="key_person",
        value=ibis.ifelse(
            joined.domain.isin(list(spec.value_domains)), joined.value, ibis.null(dt.float64)
        ),
        age_s=(joined.key_time.epoch_seconds() - joined.time.epoch_seconds()).cast(dt.float64),
        counted=joined.domain.isin(list(spec.count_domains)),
    )
    if min_persons is not None and min_persons > 1:
        common = joined.group_by("code").aggregate(persons=joined.person_id.nunique())
        common = common.filter(common.persons >= min_persons).select(common_code="code")
        joined = joined.inner_join(common, joined.code == common.common_code).drop("common_code")

    windows = spec.window_seconds()
    has_value = joined.value.notnull()
    metrics: dict[str, ir.Value] = {}
    hours = -joined.age_s / 3600.0
    for i, (agg, label) in enumerate(slots):
        seconds = windows.get(label)
        within = ibis.literal(True) if seconds is None else joined.age_s < seconds
        name = f"s{i}"
        if agg == "count":
            metrics[name] = (
                (within & joined.counted).cast(dt.int64).sum().nullif(0).cast(dt.float64)
            )
        elif agg == "mean":
            metrics[name] = joined.value.mean(where=within & has_value)
        elif agg == "min":
            metrics[name] = joined.value.min(where=within & has_value)
        elif agg == "max":
            metrics[name] = joined.value.max(where=within & has_value)
        elif agg == "slope":
            cov = hours.cov(joined.value, where=within & has_value, how="pop")
            var = hours.var(where=within & has_value, how="pop")
            metrics[name] = cov / var.nullif(0)
        elif agg == "hours_since_last":
            metrics[name] = joined.age_s.min() / 3600.0
    grouped = (
        joined.group_by("row", "code").aggregate(**metrics)
        if metrics
        else joined.select("row", "code").distinct()
    )

    if "last" in spec.value_aggregates:
        valued = joined.filter(has_value)
        order = ibis.row_number().over(
            group_by=[valued.row, valued.code],
            order_by=[ibis.desc(valued.time), ibis.desc(valued.value)],
        )
        last = valued.mutate(rank=order).filter(lambda t: t.rank == 0)
        last = last.select(last_row="row", last_code="code", last_value="value", last_age="age_s")
        grouped = grouped.left_join(
            last, (grouped.row == last.last_row) & (grouped.code == last.last_code)
        ).drop("last_row", "last_code")
        for i, (agg, label) in enumerate(slots):
            if agg == "last":
                seconds = windows.get(label)
                inside = ibis.literal(True) if seconds is None else grouped.last_age < seconds
                grouped = grouped.mutate(
                    **{f"s{i}": ibis.ifelse(inside, grouped.last_value, ibis.null(dt.float64))}
                )
        grouped = grouped.drop("last_value", "last_age")
    columns = ["row", "code", *(f"s{i}" for i in range(len(slots)))]
    return grouped.select(*columns).to_pyarrow()


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


def _long_entries(
    aggregates: pa.Table, slots: list[tuple[str, str]], statics: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, names, values)``: the long form of every feature value (names as object array)."""
    import pandas as pd

    rows_parts, name_parts, value_parts = [], [], []
    if aggregates.num_rows:
        row = aggregates.column("row").to_numpy()
        code_ids, codes = pd.factorize(aggregates.column("code").to_pandas(), sort=True)
        n_slots = len(slots)
        for i in range(n_slots):
            column = aggregates.column(f"s{i}")
            values = column.to_numpy(zero_copy_only=False).astype(np.float64)
            present = (
                ~np.isnan(values)
                if column.null_count == 0
                else column.is_valid().to_numpy(zero_copy_only=False) & ~np.isnan(values)
            )
            keys = code_ids[present] * n_slots + i
            rows_parts.append(row[present])
            name_parts.append(keys)
            value_parts.append(values[present])
        slot_keys = np.concatenate(name_parts)
        unique_keys, inverse = np.unique(slot_keys, return_inverse=True)
        unique_names = np.array(
            [
                f"{codes[key // n_slots]}|{slots[key % n_slots][0]}|{slots[key % n_slots][1]}"
                for key in unique_keys
            ],
            dtype=object,
        )
        code_rows = np.concatenate(rows_parts)
        code_names = unique_names[inverse]
        code_values = np.concatenate(value_parts)
    else:
        code_rows = np.array([], dtype=np.int64)
        code_names = np.array([], dtype=object)
        code_values = np.array([], dtype=np.float64)

    s_rows, s_names, s_values = [], [], []
    for column in ("age", "hours_since_admission"):
        if column in statics.columns:
            values = pd.to_numeric(statics[column], errors="coerce").to_numpy(dtype=np.float64)
            present = ~np.isnan(values)
            s_rows.append(statics.row.to_numpy()[present])
            s_names.append(np.full(int(present.sum()), column, dtype=object))
            s_values.append(values[present])
    for column in ("sex", "unit"):
        if column in statics.columns:
            labels = statics[column]
            present = labels.notna().to_numpy() & (labels != "unknown").to_numpy()
            s_rows.append(statics.row.to_numpy()[present])
            s_names.append((column + "=" + labels[present].astype(str)).to_numpy(dtype=object))
            s_values.append(np.ones(int(present.sum())))
    rows = np.concatenate([*s_rows, code_rows]).astype(np.int64)
    names = np.concatenate([*s_names, code_names]) if s_names else code_names
    values = np.concatenate([*s_values, code_values])
    return rows, names, values


def _to_csr(
    entries: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_rows: int,
    feature_names: list[str] | None,
    dtype: str,
) -> tuple[Any, list[str]]:
    import pandas as pd
    import scipy.sparse as sp

    rows, names, values = entries
    if feature_names is None:
        present = pd.unique(names) if len(names) else np.array([], dtype=object)
        feature_names = sorted(present, key=_column_order)
    column_of = pd.Index(feature_names)
    if column_of.has_duplicates:
        from hopia.errors import InputError

        raise InputError("feature_names", "each feature name must appear once")
    cols = column_of.get_indexer(names) if len(names) else np.array([], dtype=np.int64)
    keep = cols >= 0
    X = sp.csr_matrix(
        (values[keep].astype(dtype), (rows[keep], cols[keep])),
        shape=(n_rows, len(feature_names)),
        dtype=dtype,
    )
    X.sort_indices()
    return X, list(feature_names)


_SLOT_RANK = {
    "count": 0,
    "last": 1,
    "mean": 2,
    "min": 3,
    "max": 4,
    "slope": 5,
    "hours_since_last": 6,
}


def _column_order(name: str) -> tuple[Any, ...]:
    """Static features first (age, sex=…, hours_since_admission, unit=…), then by code."""
    head = name.split("=", 1)[0] if "|" not in name else None
    if head in _STATIC_ORDER:
        return (0, _STATIC_ORDER.index(head), name)
    code, agg, window = name.rsplit("|", 2)
    return (1, code, _SLOT_RANK.get(agg, 9), _window_rank(window), window)


def _window_rank(window: str) -> float:
    from hopia.tasks._spec import parse_duration

    return float("inf") if window == "all" else parse_duration(window)
