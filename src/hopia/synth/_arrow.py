"""From numpy columns to Arrow tables with the warehouse's OMOP schema."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from hopia.synth._catalogue import CONCEPT_IDS, SOURCE_VALUES
from hopia.warehouse.schema import arrow_schema

DAY = 86_400
HOUR = 3_600
_SOURCE_DICTIONARY = pa.array(SOURCE_VALUES, pa.string())


def timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Seconds since 1970 (naive local time) → ``timestamp[us]``."""
    micros = pa.array(
        np.asarray(seconds, dtype=np.int64) * 1_000_000, pa.int64(), mask=_mask(valid)
    )
    return micros.cast(pa.timestamp("us"))


def dates(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Seconds since 1970 → ``date32`` (the calendar day)."""
    days = (np.asarray(seconds, dtype=np.int64) // DAY).astype(np.int32)
    return pa.array(days, pa.int32(), mask=_mask(valid)).cast(pa.date32())


def ints(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), pa.int64(), mask=_mask(valid))


def floats(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.float64), pa.float64(), mask=_mask(valid))


def concept_ids(index: np.ndarray) -> pa.Array:
    """Catalogue positions → concept ids."""
    return pa.array(CONCEPT_IDS[np.asarray(index)], pa.int64())


def source_values(index: np.ndarray) -> pa.Array:
    """Catalogue positions → the raw codes (``I50.9``, ``8867-4`` …)."""
    indices = pa.array(np.asarray(index, dtype=np.int32), pa.int32())
    return pa.DictionaryArray.from_arrays(indices, _SOURCE_DICTIONARY).cast(pa.string())


def labels(index: np.ndarray, words: Sequence[str], valid: np.ndarray | None = None) -> pa.Array:
    """Small-integer codes → strings from ``words`` (null where ``valid`` is false)."""
    indices = pa.array(np.asarray(index, dtype=np.int32), pa.int32(), mask=_mask(valid))
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(words), pa.string())).cast(
        pa.string()
    )


def constant(value: Any, n: int, kind: pa.DataType) -> pa.Array:
    return (
        pa.array(np.full(n, value) if kind != pa.string() else [value] * n, kind)
        if n
        else pa.array([], kind)
    )


_NULLS: dict[pa.DataType, pa.Array] = {}


def nulls(n: int, kind: pa.DataType) -> pa.Array:
    """``n`` nulls, sliced from one shared buffer per type (absent columns cost no memory)."""
    cached = _NULLS.get(kind)
    if cached is None or len(cached) < n:
        cached = _NULLS[kind] = pa.nulls(max(n, 1 << 16), kind)
    return cached.slice(0, n)


def omop_table(name: str, columns: Mapping[str, pa.Array | np.ndarray], n: int) -> pa.Table:
    """An OMOP table: the given columns, nulls elsewhere, cast to the warehouse schema."""
    schema = arrow_schema(name)
    arrays = []
    for field in schema:
        column = columns.get(field.name)
        if column is None:
            arrays.append(nulls(n, field.type))
        elif isinstance(column, pa.Array | pa.ChunkedArray):
            arrays.append(column.cast(field.type))
        else:
            arrays.append(pa.array(column).cast(field.type))
    unknown = set(columns) - set(schema.names)
    if unknown:
        raise KeyError(f"{name}: no such columns {sorted(unknown)}")
    return pa.Table.from_arrays(arrays, schema=schema)


def _mask(valid: np.ndarray | None) -> np.ndarray | None:
    return None if valid is None else ~np.asarray(valid, dtype=bool)
