"""The event log: one row per step of a patient's pathway, in a fixed column layout.

A log is an Ibis table (so it lives in DuckDB, Spark or PostgreSQL) with these columns:

========== ========= ==============================================================
column     type      meaning
========== ========= ==============================================================
case_id    string    the case (a stay, a person, a trace of an imported log)
activity   string    what happened (a unit, "ED arrival", "Brain imaging", …)
time       timestamp when it happened (start of the step); naive local time
end_time   timestamp when it ended (unit stays), else null
unit       string    the unit the step belongs to, else null
source_row int64     row number in the source (file line order, table order)
position   int64     0-based rank of the event in its case (see :func:`order_events`)
========== ========= ==============================================================

Any other column is an attribute (string) carried along for filters.

Engines do not keep row order, so the order of events inside a case is stored in
``position``, computed once by :func:`order_events`: by ``time``, then (``tie_break="source"``,
the default, as pm4py does) by ``source_row``; or (``tie_break="activity"``) by activity name,
then ``source_row``.

Examples
--------
>>> import datetime as dt, ibis
>>> raw = ibis.memtable({"case_id": ["A", "A"], "activity": ["Triage", "Registration"],
...                      "time": [dt.datetime(2024, 1, 1, 8)] * 2, "source_row": [0, 1]})
>>> log = order_events(raw, tie_break="activity")
>>> log.order_by("position").activity.to_list()
['Registration', 'Triage']
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import ibis
import ibis.expr.datatypes as dt

from hopia.errors import InputError

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pyarrow as pa

TieBreak = Literal["source", "activity"]
TIE_BREAKS: tuple[str, ...] = ("source", "activity")

LOG_COLUMNS: dict[str, str] = {
    "case_id": "string",
    "activity": "string",
    "time": "timestamp",
    "end_time": "timestamp",
    "unit": "string",
    "source_row": "int64",
    "position": "int64",
}
"""The fixed columns of an event log and their Ibis types (attributes follow)."""

_TIE_BREAK_KEY = b"hopia.tie_break"

ROW_GROUP_ROWS = 131_072
"""Rows per Parquet row group of a written log: engines scan row groups in parallel (Arrow's
default of about a million rows would leave a million-event log in one or two)."""


def order_events(table: ir.Table, tie_break: TieBreak = "source") -> ir.Table:
    """Add the fixed columns that are missing and (re)compute ``position``.

    Parameters
    ----------
    table
        Events with at least ``case_id``, ``activity``, ``time``; ``source_row`` is
        needed for a deterministic order when times tie.
    tie_break
        ``"source"``: equal times keep the source order (pm4py's rule);
        ``"activity"``: equal times are ordered by activity name, then source order.

    Returns
    -------
    ibis.expr.types.Table
        The log with every column of :data:`LOG_COLUMNS` first, then the attributes.

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> t = ibis.memtable({"case_id": ["A", "A"], "activity": ["b", "a"],
    ...                    "time": [dt.datetime(2024, 1, 1)] * 2, "source_row": [0, 1]})
    >>> order_events(t).order_by("position").activity.to_list()
    ['b', 'a']
    """
    if tie_break not in TIE_BREAKS:
        raise InputError("tie_break", f"expected one of {', '.join(TIE_BREAKS)}, got {tie_break!r}")
    missing = [name for name in ("case_id", "activity", "time") if name not in table.columns]
    if missing:
        raise InputError("event log", f"missing column(s) {', '.join(missing)}")
    fill: dict[str, Any] = {}
    for name in ("end_time", "unit", "source_row"):
        if name not in table.columns:
            fill[name] = ibis.null(LOG_COLUMNS[name])
    if fill:
        table = table.mutate(**fill)
    keys = [table.time, table.activity, table.source_row]
    if tie_break == "source":
        keys = [table.time, table.source_row, table.activity]
    if "position" in table.columns:
        table = table.drop("position")
    window = ibis.window(group_by=table.case_id, order_by=keys)
    table = table.mutate(position=ibis.row_number().over(window))
    attributes = [name for name in table.columns if name not in LOG_COLUMNS]
    return table.select(
        *[table[name].cast(kind).name(name) for name, kind in LOG_COLUMNS.items()],
        *attributes,
    )


def renumber(log: ir.Table) -> ir.Table:
    """Recompute ``position`` after events were removed, keeping their relative order."""
    window = ibis.window(group_by=log.case_id, order_by=[log.position, log.source_row])
    return log.mutate(position=ibis.row_number().over(window))


def validate_log(log: ir.Table, place: str = "event log") -> ir.Table:
    """Check that ``log`` has the fixed columns of :data:`LOG_COLUMNS` with usable types."""
    missing = [name for name in LOG_COLUMNS if name not in log.columns]
    if missing:
        raise InputError(
            place,
            f"not an event log: missing column(s) {', '.join(missing)} "
            "(make one with `hopia pathways import` or `hopia pathways log`)",
        )
    schema = log.schema()
    if not schema["time"].is_timestamp():
        raise InputError(
            place, f"column time must be a timestamp, got {schema['time']}", field="time"
        )
    return log


def write_log(
    log: ir.Table | pa.Table, path: str | Path, *, tie_break: TieBreak = "source"
) -> Path:
    """Write a log to Parquet atomically (temporary file, then rename), ordered by case and position.

    The tie-break rule used to compute ``position`` is kept in the file's metadata.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    table = log if isinstance(log, pa.Table) else log.order_by(["case_id", "position"]).to_pyarrow()
    metadata = dict(table.schema.metadata or {})
    metadata[_TIE_BREAK_KEY] = tie_break.encode()
    table = table.replace_schema_metadata(metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        pq.write_table(table, partial, row_group_size=ROW_GROUP_ROWS)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def read_log(path: str | Path, con: Any = None) -> ir.Table:
    """Open a Parquet event log as an Ibis table (on ``con``, default a new DuckDB).

    Examples
    --------
    >>> import tempfile, datetime as dt, ibis
    >>> t = order_events(ibis.memtable({"case_id": ["A"], "activity": ["x"],
    ...                                 "time": [dt.datetime(2024, 1, 1)], "source_row": [0]}))
    >>> path = write_log(t, tempfile.mkdtemp() + "/log.parquet")
    >>> read_log(path).count().to_pyarrow().as_py()
    1
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "no such event log file")
    if con is None:
        from hopia.settings import get_settings

        con = ibis.duckdb.connect()
        con.raw_sql(f"SET threads = {get_settings().threads}")
    try:
        log = con.read_parquet(str(path))
    except Exception as error:
        raise InputError(str(path), f"cannot read as Parquet: {error}") from error
    return validate_log(log, str(path))


def log_tie_break(path: str | Path) -> str:
    """The tie-break rule recorded in a Parquet log (``"source"`` when absent)."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    return metadata.get(_TIE_BREAK_KEY, b"source").decode()


def seconds_between(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    """``later - earlier`` in seconds (millisecond precision, the same on every engine)."""
    return later.delta(earlier, unit="millisecond").cast(dt.float64) / 1000.0
