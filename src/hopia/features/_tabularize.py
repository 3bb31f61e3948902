"""``tabularize``: label rows become a sparse feature matrix, computed inside the engine.

The events of each labelled person are joined to the row's index time, cut by the leakage
rule (``time <= index_time``; date-only events strictly before the index date), and
aggregated per (row, code) in the engine (``_windows.py``: per age bucket, then per window):
counts per window, mean/min/max/slope of values per window, hours since the last event, and
the last value (ties in time: the larger value). Only the aggregates leave the engine;
``_assemble.py`` turns them into a CSR matrix with NumPy, never looping over patients.
The rows are computed in blocks of persons (:func:`person_blocks`), each assembled alone
and stacked (``_assemble.stack``), so the memory of one block's results is bounded; the codes
kept (``min_persons``) are chosen once over all rows.

Both ways in go through the same two steps — build the Ibis queries over a table of label
keys (``_feature_queries``), then run them and assemble the matrix (``_matrix``):
``tabularize`` builds them for its label rows and runs them at once; ``compile_features``
builds them once over a placeholder keys table and compiles them to SQL, and its
:class:`FeaturePlan` runs that SQL for any keys (how the service scores one person without
paying for building and compiling the queries at every request).

Worked example (``tests/features``): heart rate 80 at 06:00 and 90 at 07:00, index at 08:00,
window 24h → ``LOINC/8867-4|last|24h = 90``, ``|mean|24h = 85``, ``|slope|24h = 10`` (per hour),
``|count|24h = 2``, ``|hours_since_last|all = 1``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.datatypes as dt
import numpy as np

from hopia.features._assemble import assemble, stack
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

KEY_SCHEMA = {
    "person_id": "int64",
    "visit_occurrence_id": "int64",
    "index_time": "timestamp",
    "row": "int64",
}
"""The label keys as the feature queries see them (``row``: the matrix row)."""

KEYS_TABLE = "hopia_feature_keys"
"""Name under which a :class:`FeaturePlan` lends its label keys to the compiled SQL."""


def tabularize(
    wh: Warehouse,
    labels: LabelSet | ir.Table | pd.DataFrame,
    spec: FeatureSpec | None = None,
    *,
    feature_names: list[str] | None = None,
    block_rows: int | None = None,
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
    block_rows
        Label rows per block (default :data:`BLOCK_ROWS`, fewer for very many rows; a
        person's rows are never split).
        The rows are computed a block of persons at a time and the blocks' matrices stacked,
        which bounds the memory of the engine's results and of their assembly; the codes
        kept (``min_persons``) are chosen once over all rows. Same matrix for any block size.

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
    if block_rows is not None and block_rows < 1:
        from hopia.errors import InputError

        raise InputError("block_rows", f"expected a positive number of rows, got {block_rows}")
    spec = spec or FeatureSpec()
    rows, exclude = _label_rows(labels)
    exclude = [*spec.exclude_codes, *exclude]
    key_frame = _key_frame(rows)
    slots = _slots(spec)
    events = _feature_events(wh, spec, exclude)
    wanted = _wanted_codes(feature_names)
    if wanted is None and spec.min_persons > 1:
        # a short query of its own, over every row: the codes kept are the same in every
        # block, and the main queries read only them
        keys = ibis.memtable(_numbered(key_frame), schema=KEY_SCHEMA)
        found = common_codes(events, keys, spec.min_persons).to_pyarrow()
        wanted = sorted(found.column(0).to_pylist())
    blocks: list[tuple[Any, list[str]]] = []
    block_rows = block_rows or _default_block_rows(len(key_frame))
    bounds = person_blocks(key_frame["person_id"].to_numpy(), block_rows)
    for start, stop in bounds:
        block = key_frame.iloc[start:stop].reset_index(drop=True)
        keys = ibis.memtable(_numbered(block), schema=KEY_SCHEMA)
        aggregates, statics = _feature_queries(wh, events, keys, spec, slots, wanted)
        part = _matrix(
            aggregates.to_pyarrow() if aggregates is not None else None,
            statics.to_pyarrow() if statics is not None else None,
            block,
            slots,
            spec,
            feature_names,
        )
        if len(bounds) == 1:
            return FeatureMatrix(X=part.X, feature_names=part.feature_names, keys=key_frame)
        blocks.append((part.X, part.feature_names))
        del part, aggregates, statics
    X, names = stack(blocks, feature_names, spec.dtype)
    return FeatureMatrix(X=X, feature_names=names, keys=key_frame)


BLOCK_ROWS = 50_000
"""Label rows per block of :func:`tabularize` (a person's rows are never split); blocks
of ``SMALL_BLOCK_ROWS`` rows once there are more than ``4 × BLOCK_ROWS`` rows."""

SMALL_BLOCK_ROWS = 10_000


def _default_block_rows(n_rows: int) -> int:
    """Rows per block: a block's working memory (engine results, assembly) is about 30 KB a
    row with the default spec, the finished matrix about 6 KB a row; with many rows the
    matrix itself takes most of the memory, so the blocks get smaller."""
    return BLOCK_ROWS if n_rows <= 4 * BLOCK_ROWS else SMALL_BLOCK_ROWS


def person_blocks(person_id: np.ndarray, block_rows: int) -> list[tuple[int, int]]:
    """``[(start, stop), …]``: consecutive slices of rows sorted by person, each of at most
    ``block_rows`` rows unless one person has more (a person is never split); at least one.

    Examples
    --------
    >>> person_blocks(np.array([1, 1, 2, 3, 3, 3, 4]), 3)
    [(0, 3), (3, 6), (6, 7)]
    >>> person_blocks(np.array([1, 1, 1, 1, 2]), 2)
    [(0, 4), (4, 5)]
    """
    n = len(person_id)
    if n <= block_rows:
        return [(0, n)]
    # first row of each person, for every row
    firsts = np.flatnonzero(np.r_[True, person_id[1:] != person_id[:-1]])
    starts = np.r_[firsts, n]
    bounds = []
    start = 0
    while start < n:
        stop = start + block_rows
        if stop >= n:
            stop = n
        else:
            # back to the first row of the person at `stop`; forward to the next person when
            # that person began the block
            stop = int(starts[np.searchsorted(starts, stop, side="right") - 1])
            if stop <= start:
                stop = int(starts[np.searchsorted(starts, start, side="right")])
        bounds.append((start, stop))
        start = stop
    return bounds


def compile_features(
    wh: Warehouse,
    spec: FeatureSpec,
    feature_names: list[str],
    exclude_codes: list[str] | tuple[str, ...] = (),
) -> FeaturePlan:
    """Build and compile once the queries of :func:`tabularize` for a fixed list of columns.

    Building and compiling the Ibis expressions of the feature queries takes far longer than
    running them for a few label rows, so a service compiles them once per (warehouse
    version, feature spec, feature names, excluded codes) and runs the SQL for each request
    with its label keys as a table of its own. The queries are those of :func:`tabularize`
    (same builders, same assembly), so a plan's matrix is ``tabularize``'s matrix.

    Parameters
    ----------
    wh
        The warehouse; only its tables' names and columns matter (a new warehouse with the
        same schema can run the plan, but keep one plan per warehouse version).
    spec
        The feature spec the model was trained with.
    feature_names
        The model's columns, in order.
    exclude_codes
        Codes kept out of the features besides ``spec.exclude_codes`` (a task's outcome
        codes, :meth:`~hopia.tasks.TaskSpec.outcome_codes`).

    Returns
    -------
    FeaturePlan
        Compiled SQL on DuckDB; other engines keep the plain :func:`tabularize` path.

    Examples
    --------
    >>> plan = compile_features(wh, spec, model.feature_names, task.outcome_codes())  # doctest: +SKIP
    >>> plan.run(wh, pd.DataFrame({"person_id": [7], "visit_occurrence_id": [70],
    ...     "index_time": [pd.Timestamp("2024-01-02 08:00")]})).shape  # doctest: +SKIP
    (1, 412)
    """
    exclude = [*spec.exclude_codes, *exclude_codes]
    names = list(feature_names)
    slots = _slots(spec)
    plan = FeaturePlan(spec=spec, feature_names=names, exclude=exclude, slots=slots)
    if wh.engine != "duckdb":
        return plan
    import ibis.expr.operations as ops

    keys = ibis.table(KEY_SCHEMA, name=KEYS_TABLE)
    events = _feature_events(wh, spec, exclude)
    queries = _feature_queries(wh, events, keys, spec, slots, _wanted_codes(names))
    compiled: list[tuple[str, Any] | None] = []
    for query in queries:
        if query is None:
            compiled.append(None)
            continue
        if query.op().find(ops.InMemoryTable):  # data held by the Python client: not in SQL
            return plan
        compiled.append((str(wh.con.compile(query)), query.schema()))
    plan._aggregates_sql, plan._statics_sql = compiled
    plan.compiled = True
    return plan


@dataclass
class FeaturePlan:
    """The feature queries of a model, compiled once, run for any label keys.

    Made by :func:`compile_features`. ``run`` gives exactly what ``tabularize(wh, keys,
    spec, feature_names=…)`` gives with the same excluded codes. A plan holds no connection:
    one plan serves every connection (and thread) of the same warehouse version, each run
    using its own DuckDB cursor.

    Attributes
    ----------
    spec, feature_names, exclude
        What the plan computes (``exclude``: every code kept out of the features).
    compiled
        Whether runs execute compiled SQL (DuckDB) or go through :func:`tabularize`.
    """

    spec: FeatureSpec
    feature_names: list[str]
    exclude: list[str]
    slots: list[tuple[str, str]]
    compiled: bool = False
    _aggregates_sql: tuple[str, Any] | None = field(default=None, repr=False)
    _statics_sql: tuple[str, Any] | None = field(default=None, repr=False)

    def run(self, wh: Warehouse, keys: pd.DataFrame) -> FeatureMatrix:
        """The feature matrix of label keys (``person_id, visit_occurrence_id, index_time``).

        Rows are the distinct keys ordered by person, stay and index time, as in
        :func:`tabularize`; columns are :attr:`feature_names`.
        """
        missing = [c for c in KEY_COLUMNS if c not in keys.columns]
        if missing:
            from hopia.errors import InputError

            raise InputError("labels", f"missing column(s) {missing}; expected {KEY_COLUMNS}")
        if not self.compiled or wh.engine != "duckdb":
            return _tabularize_keys(wh, keys, self.spec, self.exclude, self.feature_names)
        key_frame = _ordered_keys(keys.drop_duplicates(KEY_COLUMNS))
        results = _run_compiled(wh, _key_arrow(key_frame), self._aggregates_sql, self._statics_sql)
        return _matrix(*results, key_frame, self.slots, self.spec, self.feature_names)


def _tabularize_keys(
    wh: Warehouse,
    keys: pd.DataFrame,
    spec: FeatureSpec,
    exclude: list[str],
    feature_names: list[str],
) -> FeatureMatrix:
    """``tabularize`` of label keys with these excluded codes (the plain path of a plan)."""
    plain = spec.model_copy(update={"exclude_codes": list(exclude)})
    return tabularize(wh, keys[KEY_COLUMNS], plain, feature_names=feature_names)


def _key_arrow(key_frame: pd.DataFrame) -> pa.Table:
    import pyarrow as pa

    schema = ibis.schema(KEY_SCHEMA).to_pyarrow()
    return pa.Table.from_pandas(_numbered(key_frame), schema=schema, preserve_index=False)


_CURSOR_LOCK = threading.Lock()


def _run_compiled(
    wh: Warehouse, keys: pa.Table, *queries: tuple[str, Any] | None
) -> list[pa.Table | None]:
    """Run compiled queries on a cursor of their own, with ``keys`` as :data:`KEYS_TABLE`."""
    from ibis.backends.duckdb.converter import DuckDBPyArrowData

    with _CURSOR_LOCK:  # making a cursor touches the shared connection
        cursor = wh.con.con.cursor()
    try:
        cursor.register(KEYS_TABLE, keys)
        out: list[pa.Table | None] = []
        for query in queries:
            if query is None:
                out.append(None)
                continue
            sql, schema = query
            table = cursor.sql(sql).to_arrow_table()
            out.append(DuckDBPyArrowData.convert_table(table, schema))
        return out
    finally:
        cursor.close()


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
    return _ordered_keys(rows.distinct().to_pandas())


def _ordered_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Label keys (already distinct) with the key types, sorted by person, stay, index time."""
    frame = frame[KEY_COLUMNS].copy()
    frame["visit_occurrence_id"] = frame["visit_occurrence_id"].astype("Int64")
    frame["index_time"] = frame["index_time"].astype("datetime64[us]")
    frame = frame.sort_values(KEY_COLUMNS, na_position="last", kind="stable")
    return frame.reset_index(drop=True)[KEY_COLUMNS]


def _numbered(key_frame: pd.DataFrame) -> pd.DataFrame:
    """The keys with their matrix row number (column ``row``)."""
    return key_frame.assign(row=np.arange(len(key_frame), dtype=np.int64))


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


def _feature_events(wh: Warehouse, spec: FeatureSpec, exclude: list[str]) -> ir.Table:
    """The events the spec's domains cover, without the excluded codes."""
    events = wh.events()
    domains = sorted(set(spec.count_domains) | set(spec.value_domains))
    events = events.filter(events.domain.isin(domains))
    if exclude:
        events = events.filter(~code_matches(events.code, exclude))
    return events


def _feature_queries(
    wh: Warehouse,
    events: ir.Table,
    keys: ir.Table,
    spec: FeatureSpec,
    slots: list[tuple[str, str]],
    wanted: list[str] | None,
) -> tuple[ir.Table | None, ir.Table | None]:
    """The two queries of a feature matrix over the label ``keys`` (``row, person_id,
    visit_occurrence_id, index_time``): the code aggregates ``row, code, s0, s1, …`` (``None``
    when no code is wanted) and the static features (``None`` when the spec has none)."""
    aggregates = None
    if wanted is None or wanted:
        if wanted is not None:
            events = events.filter(events.code.isin(wanted))
        events = events.select(
            "person_id", "time", "code", "value", "domain", "visit_occurrence_id", "date_only"
        )
        aggregates = window_aggregates(events, keys, spec, slots)
    statics = _static_query(wh, keys, spec) if spec.static else None
    return aggregates, statics


def _matrix(
    aggregates: pa.Table | None,
    statics: pa.Table | None,
    key_frame: pd.DataFrame,
    slots: list[tuple[str, str]],
    spec: FeatureSpec,
    feature_names: list[str] | None,
) -> FeatureMatrix:
    """The feature matrix from the results of :func:`_feature_queries`."""
    import pandas as pd
    import pyarrow as pa

    if aggregates is None:
        fields = [("row", pa.int64()), ("code", pa.string())]
        fields += [(f"s{i}", pa.float64()) for i in range(len(slots))]
        aggregates = pa.schema(fields).empty_table()
    if statics is None:
        static_frame = pd.DataFrame({"row": np.array([], dtype=np.int64)})
    else:
        static_frame = statics.to_pandas()
    X, names = assemble(aggregates, slots, static_frame, len(key_frame), feature_names, spec.dtype)
    return FeatureMatrix(X=X, feature_names=names, keys=key_frame)


def _static_query(wh: Warehouse, keys: ir.Table, spec: FeatureSpec) -> ir.Table:
    """``row, age, sex, hours_since_admission, unit`` (only the columns the spec asks for)."""
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
    return table.select(*wanted)
