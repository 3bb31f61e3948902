"""From the engine's aggregates to a CSR matrix, with NumPy only (no loop over rows or names).

The engine returns one line per (row, code, age bucket) with the bucket's plain aggregates
(``_windows.BUCKET_COLUMNS``); the windows are unions of the first buckets, so each slot is
a cumulative sum, minimum or maximum along a small dense ``(row × code, bucket)`` array, and
the slope combines the buckets' moments with the same arithmetic, in the same order, as the
engine-side form (``_windows._slopes``). The engine may also return one line per (row, code)
with one column per slot (``window_aggregates(..., by_bucket=False)``). Each stored value gets
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

    ordered = "bucket" in aggregates.column_names  # entries sorted by row, then column
    if ordered:
        code_rows, code_keys, code_values, key_names = _bucket_entries(aggregates, slots)
    else:
        code_rows, code_keys, code_values, key_names = _code_entries(aggregates, slots)
    static_rows, static_names, static_values = _static_entries(statics)
    static_set = sorted(set(static_names.tolist()), key=_column_order)
    present_keys = np.flatnonzero(np.bincount(code_keys, minlength=len(key_names)))
    if feature_names is None:
        names = static_set + [key_names[k] for k in present_keys]
        static_col = {name: j for j, name in enumerate(static_set)}
        key_col = np.full(len(key_names), -1, dtype=np.int64 if len(names) >= 2**31 else np.int32)
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
    index_type = np.int32 if max(n_rows, len(names)) < 2**31 - 1 else np.int64
    if ordered and feature_names is None:
        # static columns first, then the code columns in key order: no sort needed
        static = sp.csr_matrix(
            (
                static_values.astype(dtype),
                (static_rows.astype(index_type), static_cols.astype(index_type)),
            ),
            shape=(n_rows, len(static_set)),
            dtype=dtype,
        )
        indptr = np.zeros(n_rows + 1, dtype=index_type)
        np.cumsum(np.bincount(code_rows, minlength=n_rows), out=indptr[1:])
        code = sp.csr_matrix(
            (
                code_values.astype(dtype, copy=False),
                (key_col[code_keys] - len(static_set)).astype(index_type, copy=False),
                indptr,
            ),
            shape=(n_rows, len(names) - len(static_set)),
            dtype=dtype,
        )
        X = sp.hstack([static, code], format="csr", dtype=dtype)
        X.sort_indices()
        return X, names
    cols = np.concatenate([static_cols, key_col[code_keys]])
    rows = np.concatenate([static_rows, code_rows])
    values = np.concatenate([static_values, code_values])
    keep = cols >= 0
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


def stack(
    blocks: list[tuple[sp.csr_matrix, list[str]]],
    feature_names: list[str] | None,
    dtype: str,
) -> tuple[sp.csr_matrix, list[str]]:
    """``(X, names)`` of blocks of rows assembled one by one (each with the names of its own
    stored columns, or all ``feature_names``): the rows one below the other, the columns the
    union of the blocks' names in name order — the matrix :func:`assemble` gives for all the
    rows at once. ``blocks`` is emptied as it is copied, so the memory held is about the
    matrix and one block."""
    import scipy.sparse as sp

    if feature_names is None:
        names = sorted(set().union(*(block_names for _, block_names in blocks)), key=_column_order)
    else:
        names = list(feature_names)
    position = {name: j for j, name in enumerate(names)}
    n_rows = sum(X.shape[0] for X, _ in blocks)
    nnz = sum(X.nnz for X, _ in blocks)
    index_type = np.int32 if max(nnz, n_rows, len(names)) < 2**31 - 1 else np.int64
    data = np.empty(nnz, dtype=dtype)  # pages are touched only as the blocks are copied
    indices = np.empty(nnz, dtype=index_type)
    indptr = np.zeros(n_rows + 1, dtype=index_type)
    row = at = 0
    ordered = True
    while blocks:
        X, block_names = blocks.pop(0)
        columns = np.array([position[name] for name in block_names], dtype=index_type)
        ordered &= bool(np.all(columns[1:] > columns[:-1]))
        data[at : at + X.nnz] = X.data
        indices[at : at + X.nnz] = columns[X.indices]
        indptr[row + 1 : row + 1 + X.shape[0]] = X.indptr[1:] + at
        row, at = row + X.shape[0], at + X.nnz
        del X
        _release_freed()
    out = sp.csr_matrix((data, indices, indptr), shape=(n_rows, len(names)), dtype=dtype)
    if not ordered:
        out.sort_indices()
    return out, names


def _release_freed() -> None:
    """Give freed heap memory back to the system (glibc keeps blocks' arrays of a few tens of
    MB on its heap, so copying them out would otherwise double the memory held)."""
    import contextlib
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError, TypeError):  # not glibc: nothing to do
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)


def _code_entries(
    aggregates: pa.Table, slots: list[tuple[str, str]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """``(rows, keys, values, key_names)`` of every stored code feature."""
    import pyarrow as pa

    n_slots = len(slots)
    slot_rank, rank_of_slot = _slot_ranks(slots)
    if aggregates.num_rows == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float64), []
    code_rank, sorted_codes, indices = _code_ranks(aggregates)
    base = code_rank[indices] * n_slots
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
    key_names = _key_names(sorted_codes, slots, slot_rank)
    return np.concatenate(rows), np.concatenate(keys), np.concatenate(values), key_names


def _bucket_entries(
    aggregates: pa.Table, slots: list[tuple[str, str]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """``(rows, keys, values, key_names)`` of every stored code feature, from bucket lines."""
    n_slots = len(slots)
    slot_rank, rank_of_slot = _slot_ranks(slots)
    if aggregates.num_rows == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float64), []
    code_rank, sorted_codes, indices = _code_ranks(aggregates)
    n_codes = len(sorted_codes)
    line_key = _numbers(aggregates, "row").astype(np.int64) * n_codes + code_rank[indices]
    group_key, line_group = np.unique(line_key, return_inverse=True)
    del line_key
    group_row, group_code = np.divmod(group_key, n_codes)
    finite = sorted({_window_rank(w) for _, w in slots if w != "all"})
    n_buckets = len(finite) + 1
    n_groups = len(group_key)
    # bucket-major arrays: one bucket of every (row, code) is one contiguous slice
    flat = _numbers(aggregates, "bucket").astype(np.int64) * n_groups + line_group
    del line_group

    def dense(name: str, fill: float) -> np.ndarray:
        out = np.full(n_buckets * n_groups, fill)
        data = _numbers(aggregates, name)
        if fill == fill:  # not NaN: absent values take the fill
            data = np.where(np.isnan(data), fill, data)
        out[flat] = data
        return out.reshape(n_buckets, n_groups)

    def last_bucket(label: str) -> int:
        return n_buckets - 1 if label == "all" else finite.index(_window_rank(label))

    cache: dict[str, np.ndarray] = {}

    def cumulative(name: str, fill: float, how: Any) -> np.ndarray:
        if name not in cache:
            cache[name] = how.accumulate(dense(name, fill), axis=0)
        return cache[name]

    # one line per (row, code), one column per slot in name order: the stored entries come
    # out already sorted by row and column
    table = np.full((n_slots, n_groups), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i, (agg, label) in enumerate(slots):
            if i and agg != slots[i - 1][0]:
                cache.clear()  # slots come grouped by aggregate: free the arrays done with
            j = last_bucket(label)
            if agg == "count":
                data = cumulative("n_count", 0.0, np.add)[j].copy()
                data[data == 0] = np.nan
            elif agg == "mean":
                n = cumulative("n_value", 0.0, np.add)[j]
                data = np.where(n > 0, cumulative("sum_value", 0.0, np.add)[j] / n, np.nan)
            elif agg == "min":
                data = cumulative("min_value", np.nan, np.fmin)[j]
            elif agg == "max":
                data = cumulative("max_value", np.nan, np.fmax)[j]
            elif agg == "last":
                # the most recent bucket with a value holds the row's last value
                data = cumulative("last_value", np.nan, _FirstValue)[j]
            elif agg == "slope":
                if "slope" not in cache:
                    cache["slope"] = _window_slopes(dense)
                data = cache["slope"][j]
            elif agg == "hours_since_last":
                data = cumulative("min_age", np.nan, np.fmin)[n_buckets - 1] / 3600.0
            else:
                continue
            table[rank_of_slot[i]] = data
    cache.clear()
    # rows and keys in 32 bits when they fit: these arrays have one item per stored value
    row_type = np.int32 if group_row.max(initial=0) < 2**31 - 1 else np.int64
    key_type = np.int32 if n_codes * n_slots < 2**31 - 1 else np.int64
    rows, keys, values = [], [], []
    for start in range(0, n_groups, _CHUNK):
        # (row, code) by slot: entries in row, then column order
        part = table[:, start : start + _CHUNK].T.copy()
        group, rank = np.nonzero(~np.isnan(part))
        values.append(part[group, rank])
        del part
        group += start
        rows.append(group_row[group].astype(row_type))
        keys.append((group_code[group] * n_slots + rank).astype(key_type))
    del table
    key_names = _key_names(sorted_codes, slots, slot_rank)
    return np.concatenate(rows), np.concatenate(keys), np.concatenate(values), key_names


_CHUNK = 1 << 18


class _FirstValue:
    """``accumulate`` keeping the first non-NaN value along the buckets (most recent first)."""

    @staticmethod
    def accumulate(array: np.ndarray, axis: int) -> np.ndarray:
        out = array.copy()
        for j in range(1, out.shape[0]):
            out[j] = np.where(np.isnan(out[j - 1]), out[j], out[j - 1])
        return out


def _window_slopes(dense: Any) -> np.ndarray:
    """Least-squares slope over buckets ``0..k`` for every ``k`` (bucket-major, like the
    inputs): ``_windows._slopes`` with NumPy, adding bucket ``k``'s terms to those of the
    windows before it."""
    N = dense("n_value", 0.0)
    total = dense("sum_value", np.nan)
    Y = np.where(N > 0, total / np.where(N > 0, N, 1.0), 0.0)
    del total
    X, C, M = dense("mean_hours", 0.0), dense("co_moment", 0.0), dense("hours_moment", 0.0)
    out = np.empty_like(N)
    zero = np.zeros(N.shape[1])
    n, c, m, between_c, between_m = zero, zero, zero, zero, zero
    for z in range(N.shape[0]):
        n, c, m = n + N[z], c + C[z], m + M[z]
        for a in range(z):
            weight = N[a] * N[z]
            dx = X[a] - X[z]
            between_c = between_c + weight * dx * (Y[a] - Y[z])
            between_m = between_m + weight * dx * dx
        some = np.where(n == 0, np.nan, n)
        denominator = m + between_m / some
        denominator[denominator == 0] = np.nan
        out[z] = (c + between_c / some) / denominator
    return out


def _key_names(
    sorted_codes: list[str], slots: list[tuple[str, str]], slot_rank: list[int]
) -> list[str]:
    """The name of every column key ``code_rank × n_slots + slot_rank``, in key order."""
    return [f"{code}|{slots[i][0]}|{slots[i][1]}" for code in sorted_codes for i in slot_rank]


def _slot_ranks(slots: list[tuple[str, str]]) -> tuple[list[int], np.ndarray]:
    """``(slot_rank, rank_of_slot)``: the slots in column order, and each slot's place in it."""
    slot_rank = sorted(range(len(slots)), key=lambda i: _slot_order(slots[i]))
    rank_of_slot = np.empty(len(slots), dtype=np.int64)
    rank_of_slot[slot_rank] = np.arange(len(slots))
    return slot_rank, rank_of_slot


def _code_ranks(aggregates: pa.Table) -> tuple[np.ndarray, list[str], np.ndarray]:
    """``(code_rank, sorted_codes, indices)``: each line's code as an index into the dictionary
    of codes, and each dictionary entry's rank among the sorted codes."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(aggregates.column("code")).combine_chunks()
    dictionary = encoded.dictionary.to_pylist()
    order = sorted(range(len(dictionary)), key=dictionary.__getitem__)
    code_rank = np.empty(len(dictionary), dtype=np.int64)
    code_rank[order] = np.arange(len(dictionary))
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    return code_rank, [dictionary[j] for j in order], indices


def _numbers(table: pa.Table, name: str) -> np.ndarray:
    """A numeric column as a NumPy array, nulls as NaN (integers stay integers)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = table.column(name)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_integer(column.type):
        return column.to_numpy(zero_copy_only=False)
    if column.null_count:
        column = pc.fill_null(column.cast(pa.float64()), np.nan)
    return column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


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
