"""From the engine's aggregates to a CSR matrix, with NumPy only (no loop over rows or names).

The engine returns one line per (row, code) with one column per slot. Each stored value gets
an integer column key ``code_rank × n_slots + slot_rank``, whose order is the order of the
feature names (codes sorted, then count, last, mean, min, max, slope, hours since last,
shorter windows first); names are built only for the keys that occur. Static features
(age, sex, unit, hours since admission) come first.

Examples
--------
>>> _column_order("LOINC/8867-4|mean|24h") < _column_order("LOINC/8867-4|mean|7d")
True
>>> sorted(["unit=REA", "age", "sex=F"], key=_column_order)
['age', 'sex=F', 'unit=REA']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    import scipy.sparse as sp

STATIC_ORDER = ("age", "sex", "hours_since_admission", "unit")
_SLOT_RANK = {
    "count": 0,
    "last": 1,
    "mean": 2,
    "min": 3,
    "max": 4,
    "slope": 5,
    "hours_since_last": 6,
}


def assemble(
    aggregates: pa.Table,
    slots: list[tuple[str, str]],
    statics: pd.DataFrame,
    n_rows: int,
    feature_names: list[str] | None,
    dtype: str,
) -> tuple[sp.csr_matrix, list[str]]:
    """``(X, names)``: the CSR matrix and its column names (``feature_names`` when given)."""
    import scipy.sparse as sp

    code_rows, code_keys, code_values, key_names = _code_entries(aggregates, slots)
    static_rows, static_names, static_values = _static_entries(statics)
    static_set = sorted(set(static_names.tolist()), key=_column_order)
    present_keys = np.flatnonzero(np.bincount(code_keys, minlength=len(key_names)))
    if feature_names is None:
        names = static_set + [key_names[k] for k in present_keys]
        static_col = {name: j for j, name in enumerate(static_set)}
        key_col = np.full(len(key_names), -1, dtype=np.int64)
        key_col[present_keys] = np.arange(len(static_set), len(names))
    else:
        names = list(feature_names)
        position = {name: j for j, name in enumerate(names)}
        if len(position) != len(names):
            from hopia.errors import InputError

            raise InputError("feature_names", "each feature name must appear once")
        static_col = {name: position.get(name, -1) for name in static_set}
        key_col = np.array([position.get(name, -1) for name in key_names], dtype=np.int64)
    static_cols = np.array([static_col[n] for n in static_names.tolist()], dtype=np.int64)
    cols = np.concatenate([static_cols, key_col[code_keys]])
    rows = np.concatenate([static_rows, code_rows])
    values = np.concatenate([static_values, code_values])
    keep = cols >= 0
    index_type = np.int32 if max(n_rows, len(names)) < 2**31 - 1 else np.int64
    X = sp.csr_matrix(
        (
            values[keep].astype(dtype, copy=False),
            (rows[keep].astype(index_type), cols[keep].astype(index_type)),
        ),
        shape=(n_rows, len(names)),
        dtype=dtype,
    )
    X.sort_indices()
    return X, names


def _code_entries(
    aggregates: pa.Table, slots: list[tuple[str, str]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """``(rows, keys, values, key_names)`` of every stored code feature."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n_slots = len(slots)
    slot_rank = sorted(range(n_slots), key=lambda i: _slot_order(slots[i]))
    rank_of_slot = np.empty(n_slots, dtype=np.int64)
    rank_of_slot[slot_rank] = np.arange(n_slots)
    if aggregates.num_rows == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float64), []
    encoded = pc.dictionary_encode(aggregates.column("code")).combine_chunks()
    dictionary = encoded.dictionary.to_pylist()
    order = sorted(range(len(dictionary)), key=dictionary.__getitem__)
    code_rank = np.empty(len(dictionary), dtype=np.int64)
    code_rank[order] = np.arange(len(dictionary))
    base = code_rank[encoded.indices.to_numpy(zero_copy_only=False)] * n_slots
    row = aggregates.column("row").to_numpy()
    rows, keys, values = [], [], []
    for i in range(n_slots):
        column = aggregates.column(f"s{i}")
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        data = column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
        present = ~np.isnan(data)
        if column.null_count:
            present &= column.is_valid().to_numpy(zero_copy_only=False)
        rows.append(row[present])
        keys.append(base[present] + rank_of_slot[i])
        values.append(data[present])
    sorted_codes = [dictionary[j] for j in order]
    key_names = [f"{code}|{slots[i][0]}|{slots[i][1]}" for code in sorted_codes for i in slot_rank]
    return np.concatenate(rows), np.concatenate(keys), np.concatenate(values), key_names


def _static_entries(statics: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, names, values)`` of the static features (names as an object array)."""
    import pandas as pd

    rows, names, values = [], [], []
    for column in ("age", "hours_since_admission"):
        if column in statics.columns:
            data = pd.to_numeric(statics[column], errors="coerce").to_numpy(dtype=np.float64)
            present = ~np.isnan(data)
            rows.append(statics.row.to_numpy()[present])
            names.append(np.full(int(present.sum()), column, dtype=object))
            values.append(data[present])
    for column in ("sex", "unit"):
        if column in statics.columns:
            labels = statics[column]
            present = labels.notna().to_numpy() & (labels != "unknown").to_numpy()
            rows.append(statics.row.to_numpy()[present])
            names.append((column + "=" + labels[present].astype(str)).to_numpy(dtype=object))
            values.append(np.ones(int(present.sum())))
    if not rows:
        return np.array([], dtype=np.int64), np.array([], dtype=object), np.array([])
    return (
        np.concatenate(rows).astype(np.int64),
        np.concatenate(names),
        np.concatenate(values),
    )


def _slot_order(slot: tuple[str, str]) -> tuple[int, float, str]:
    agg, window = slot
    return (_SLOT_RANK.get(agg, 9), _window_rank(window), window)


def _column_order(name: str) -> tuple[Any, ...]:
    """Static features first (age, sex=…, hours_since_admission, unit=…), then by code."""
    head = name.split("=", 1)[0] if "|" not in name else None
    if head in STATIC_ORDER:
        return (0, STATIC_ORDER.index(head), name)
    code, agg, window = name.rsplit("|", 2)
    return (1, code, _SLOT_RANK.get(agg, 9), _window_rank(window), window)


def _window_rank(window: str) -> float:
    from hopia.tasks._spec import parse_duration

    return float("inf") if window == "all" else parse_duration(window)
