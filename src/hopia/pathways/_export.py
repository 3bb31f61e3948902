"""Export an event log for pm4py (CSV or XES) and a pathway map for Graphviz.

hopia does not depend on pm4py; these files are how a team takes a log further in it:
``pm4py.read_xes("log.xes")`` or ``pm4py.format_dataframe(pd.read_csv("log.csv"),
case_id="case:concept:name", activity_key="concept:name", timestamp_key="time:timestamp")``.
Events are written in hopia's order (case, then ``position``), so pm4py's stable sort by
timestamp keeps the same order for equal timestamps and finds the same map and variants.

Examples
--------
>>> import datetime as dt, ibis, tempfile, pathlib
>>> from hopia.pathways._log import order_events
>>> log = order_events(ibis.memtable({"case_id": ["A"], "activity": ["ED <1>"],
...                                   "time": [dt.datetime(2024, 1, 1, 8)], "source_row": [0]}))
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> export_xes(log, folder / "log.xes")
1
>>> 'value="ED &lt;1&gt;"' in (folder / "log.xes").read_text()
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import quoteattr

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    import pyarrow as pa

PM4PY_CASE = "case:concept:name"
PM4PY_ACTIVITY = "concept:name"
PM4PY_TIME = "time:timestamp"
_RENAMES = {
    "case_id": PM4PY_CASE,
    "activity": PM4PY_ACTIVITY,
    "time": PM4PY_TIME,
    "end_time": "hopia:end_timestamp",
    "unit": "org:group",
}
_INTERNAL = ("source_row", "position")


def _renames(log: ir.Table) -> dict[str, str]:
    """pm4py names of the fixed columns; the unit is ``org:group`` unless an attribute has that name."""
    renames = dict(_RENAMES)
    if "org:group" in log.columns:
        renames["unit"] = "hopia:unit"
    return renames


def _batches(log: ir.Table) -> Iterator[pa.RecordBatch]:
    """The events in hopia's order, without the internal columns and the empty optional ones."""
    import ibis

    present = (
        log.aggregate(end_time=log.end_time.notnull().any(), unit=log.unit.notnull().any())
        .to_pyarrow()
        .to_pylist()[0]
    )
    dropped = [*_INTERNAL, *(name for name, used in present.items() if not used)]
    ordered = log.order_by([ibis.asc("case_id"), ibis.asc("position")]).drop(*dropped)
    yield from ordered.to_pyarrow_batches(chunk_size=100_000)


def _atomic(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(path.name + ".partial")


def export_csv(log: ir.Table, path: str | Path) -> int:
    """Write the log as a pm4py-readable CSV; returns the number of events.

    Columns: ``case:concept:name, concept:name, time:timestamp`` (ISO 8601, naive local
    time), ``hopia:end_timestamp`` when steps have an end, ``org:group`` (the unit; named
    ``hopia:unit`` when the log already has an ``org:group`` attribute) when events have
    one, then the attributes.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    partial = _atomic(path)
    renames = _renames(log)
    count = 0
    writer: pacsv.CSVWriter | None = None
    try:
        for batch in _batches(log):
            table = pa.Table.from_batches([batch])
            table = table.rename_columns([renames.get(c, c) for c in table.column_names])
            if writer is None:
                writer = pacsv.CSVWriter(partial, table.schema)
            writer.write_table(table)
            count += table.num_rows
        if writer is None:
            partial.write_text(
                ",".join(renames[c] for c in ("case_id", "activity", "time")) + "\n",
                encoding="utf-8",
            )
        else:
            writer.close()
            writer = None
        partial.replace(path)
    finally:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
    return count


def _xes_value(value: Any) -> tuple[str, str]:
    if isinstance(value, dt.datetime):
        return "date", value.isoformat(timespec="milliseconds")
    if isinstance(value, bool):
        return "boolean", "true" if value else "false"
    if isinstance(value, int):
        return "int", str(value)
    if isinstance(value, float):
        return "float", repr(value)
    return "string", str(value)


def _attribute(key: str, value: Any) -> str:
    kind, text = _xes_value(value)
    return f"<{kind} key={quoteattr(key)} value={quoteattr(text)}/>"


_XES_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
"""


def export_xes(log: ir.Table, path: str | Path) -> int:
    """Write the log as XES 1849-2016 (streamed); returns the number of events.

    Each case is a trace named by its id; each event has ``concept:name``,
    ``time:timestamp`` (naive local time, no offset), ``org:group`` (the unit) and its
    non-empty attributes.
    """
    path = Path(path)
    partial = _atomic(path)
    renames = _renames(log)
    count = 0
    current: str | None = None
    try:
        with partial.open("w", encoding="utf-8") as out:
            out.write(_XES_HEADER)
            for batch in _batches(log):
                for row in batch.to_pylist():
                    case = row.pop("case_id")
                    if case != current:
                        if current is not None:
                            out.write("</trace>\n")
                        out.write(f"<trace>{_attribute(PM4PY_ACTIVITY, case)}\n")
                        current = case
                    parts = [
                        _attribute(renames.get(k, k), v) for k, v in row.items() if v is not None
                    ]
                    out.write(f"<event>{''.join(parts)}</event>\n")
                    count += 1
            if current is not None:
                out.write("</trace>\n")
            out.write("</log>\n")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return count


def dfg_to_dot(dfg: pd.DataFrame, *, min_count: int = 1) -> str:
    """A pathway map as Graphviz ``dot`` text (edges labelled with count and median wait).

    Examples
    --------
    >>> import pandas as pd
    >>> print(dfg_to_dot(pd.DataFrame({"source": ["ED"], "target": ["ICU"], "count": [3],
    ...                                "median_seconds": [5400.0]})).splitlines()[-2])
      "ED" -> "ICU" [label="3 | 90 min", penwidth=5.0];
    """
    edges = dfg[dfg["count"] >= min_count]
    heaviest = max(int(edges["count"].max()), 1) if len(edges) else 1
    lines = [
        "digraph pathway {",
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
    ]
    for row in edges.itertuples(index=False):
        width = 1.0 + 4.0 * (int(row.count) - 1) / max(heaviest - 1, 1)
        label = f"{int(row.count)} | {_readable(float(row.median_seconds))}"
        lines.append(
            f"  {_quote(row.source)} -> {_quote(row.target)} [label={_quote(label)}, penwidth={width:.1f}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _readable(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
