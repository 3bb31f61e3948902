"""Import external event logs (CSV, XES) into hopia's log layout.

Every value is read as text: nothing is guessed as missing (the Sepsis Cases log has a case
literally named ``NA``). The row number of each event in the file is kept in ``source_row``
so that events with equal timestamps keep a deterministic order.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
>>> _ = path.write_text("case;act;ts\\nNA;Triage;2014/10/22 11:15:41.000\\n")
>>> table = read_event_file(path, case="case", activity="act", time="ts", sep=";")
>>> table.column("case_id").to_pylist(), table.column("time").to_pylist()[0].isoformat()
(['NA'], '2014-10-22T11:15:41')
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from hopia.errors import InputError
from hopia.pathways._log import LOG_COLUMNS, TieBreak, order_events, write_log

if TYPE_CHECKING:
    import pyarrow as pa

XES_CASE = "case:concept:name"
XES_ACTIVITY = "concept:name"
XES_TIME = "time:timestamp"

# Tried in this order on the first non-empty value when no --time-format is given.
# Day-first before month-first: French (and most European) hospital exports write 22/10/2014.
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S.%f",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
)
_ISO_WITH_OFFSET = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)$"
)


def import_log(
    path: str | Path,
    out: str | Path,
    *,
    case: str | None = None,
    activity: str | None = None,
    time: str | None = None,
    end_time: str | None = None,
    unit: str | None = None,
    sep: str = ",",
    time_format: str | None = None,
    tie_break: TieBreak = "source",
) -> pa.Table:
    """Read a CSV or XES event log and write it as a hopia log (Parquet).

    Parameters
    ----------
    path
        A ``.csv`` (any separator) or ``.xes`` file (``.xes.gz`` too).
    out
        The Parquet file to write (written atomically).
    case, activity, time
        Column names of the case id, the activity and the event time. For XES they default
        to ``case:concept:name``, ``concept:name`` and ``time:timestamp``.
    end_time, unit
        Optional columns for the end of the step and its unit.
    sep
        CSV separator.
    time_format
        ``strptime`` format of the times (default: detected from the first value).
    tie_break
        Order of events with equal times: ``"source"`` (file order) or ``"activity"``.

    Returns
    -------
    pyarrow.Table
        The log as written, ordered by case and position.
    """
    table = read_event_file(
        path, case=case, activity=activity, time=time, end_time=end_time, unit=unit,
        sep=sep, time_format=time_format,
    )  # fmt: skip
    import ibis

    con = ibis.duckdb.connect()
    ordered = order_events(con.create_table("raw_log", table), tie_break=tie_break)
    result = ordered.order_by(["case_id", "position"]).to_pyarrow()
    write_log(result, out, tie_break=tie_break)
    con.disconnect()
    return result


def read_event_file(
    path: str | Path,
    *,
    case: str | None = None,
    activity: str | None = None,
    time: str | None = None,
    end_time: str | None = None,
    unit: str | None = None,
    sep: str = ",",
    time_format: str | None = None,
) -> pa.Table:
    """Read a CSV or XES file into an Arrow table with the log's fixed columns (no ``position``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "no such file")
    name = path.name.lower()
    if name.endswith((".xes", ".xes.gz")):
        columns, first_line = _read_xes(path), None
        case, activity, time = case or XES_CASE, activity or XES_ACTIVITY, time or XES_TIME
    else:
        if not (case and activity and time):
            raise InputError(
                str(path), "a CSV log needs --case, --activity and --time column names"
            )
        columns, first_line = _read_csv(path, sep), 2
    return _to_log_table(
        path, columns, case=case, activity=activity, time=time, end_time=end_time, unit=unit,
        time_format=time_format, first_line=first_line,
    )  # fmt: skip


def _read_csv(path: Path, sep: str) -> dict[str, pa.Array]:
    """Every column as text; empty cells stay empty strings (nothing is read as missing)."""
    import pyarrow.csv as pacsv

    if len(sep) != 1:
        raise InputError(str(path), f"the separator must be one character, got {sep!r}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle, delimiter=sep), None)
    if not header:
        raise InputError(str(path), "empty file: expected a header line")
    if len(set(header)) != len(header):
        raise InputError(str(path), "duplicate column names in the header", line=1)
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, "string"),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except Exception as error:  # pyarrow's message names the row
        raise InputError(str(path), f"cannot read as a {sep!r}-separated CSV: {error}") from error
    return {name: table.column(name).combine_chunks() for name in header}


def _xml_events(path: Path) -> Iterator[tuple[str, object]]:
    import gzip
    import xml.etree.ElementTree as ET

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        try:
            yield from ET.iterparse(handle, events=("start", "end"))
        except ET.ParseError as error:
            raise InputError(
                str(path), f"not well-formed XML: {error}", line=error.position[0]
            ) from error


def _read_xes(path: Path) -> dict[str, pa.Array]:
    """Stream an XES file: trace attributes become ``case:<key>``, event attributes ``<key>``."""
    rows: list[dict[str, str]] = []
    trace_attributes: dict[str, str] = {}
    trace_events: list[dict[str, str]] = []
    stack: list[str] = []
    event: dict[str, str] | None = None
    seen_log = False
    for kind, element in _xml_events(path):
        tag = element.tag.rsplit("}", 1)[-1]  # type: ignore[attr-defined]
        if kind == "start":
            stack.append(tag)
            if tag == "log":
                seen_log = True
            elif tag == "trace":
                trace_attributes, trace_events = {}, []
            elif tag == "event":
                event = {}
            continue
        stack.pop()
        parent = stack[-1] if stack else None
        key = element.get("key")  # type: ignore[attr-defined]
        if key is not None and tag != "global":
            value = element.get("value", "")  # type: ignore[attr-defined]
            if parent == "event" and event is not None:
                event[key] = value
            elif parent == "trace":
                trace_attributes[f"case:{key}"] = value
        if tag == "event" and parent == "trace" and event is not None:
            trace_events.append(event)
            event = None
        elif tag == "trace":
            rows.extend({**trace_attributes, **e} for e in trace_events)
            element.clear()  # type: ignore[attr-defined]
        elif tag == "event" and parent == "log":
            event = None  # events outside any trace have no case: XES does not allow them
    if not seen_log:
        raise InputError(str(path), "not an XES file: no <log> element")
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    import pyarrow as pa

    return {name: pa.array([row.get(name, "") for row in rows], pa.string()) for name in names}


def _to_log_table(
    path: Path,
    columns: dict[str, pa.Array],
    *,
    case: str,
    activity: str,
    time: str,
    end_time: str | None,
    unit: str | None,
    time_format: str | None,
    first_line: int | None,
) -> pa.Table:
    import pyarrow as pa
    import pyarrow.compute as pc

    for role, name in (
        ("case", case),
        ("activity", activity),
        ("time", time),
        ("end-time", end_time),
        ("unit", unit),
    ):
        if name is not None and name not in columns:
            known = ", ".join(list(columns)[:40])
            raise InputError(
                str(path), f"no {role} column {name!r}; columns are: {known}", field=name
            )
    n_rows = len(columns[case])
    for name in (case, activity, time):
        empty = pc.equal(columns[name], "")
        if pc.any(empty).as_py():
            index = pc.index(empty, True).as_py()
            raise _row_error(path, index, first_line, name, "empty value: every event needs one")

    def blank_as_null(values: pa.Array) -> pa.Array:
        return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)

    arrays: dict[str, pa.Array] = {
        "case_id": columns[case],
        "activity": columns[activity],
        "time": _parse_times(path, columns[time], time, time_format, first_line),
        "end_time": (
            _parse_times(path, columns[end_time], end_time, time_format, first_line)
            if end_time
            else pa.nulls(n_rows, pa.timestamp("us"))
        ),
        "unit": blank_as_null(columns[unit]) if unit else pa.nulls(n_rows, pa.string()),
        "source_row": pa.array(range(n_rows), pa.int64()),
    }
    used = {case, activity, time, end_time, unit}
    for name, values in columns.items():
        if name in used:
            continue
        label = name if name not in LOG_COLUMNS else f"attr_{name}"
        arrays[label] = blank_as_null(values)
    return pa.table(arrays)


def _row_error(
    path: Path, index: int, first_line: int | None, field: str, problem: str
) -> InputError:
    if first_line is None:
        return InputError(str(path), f"{problem} (event #{index + 1})", field=field)
    return InputError(str(path), problem, line=first_line + index, field=field)


def _parse_times(
    path: Path,
    values: pa.Array,
    name: str,
    time_format: str | None,
    first_line: int | None,
) -> pa.Array:
    """Parse text times with one format for the whole column; offsets are dropped (local time)."""
    import pandas as pd
    import pyarrow as pa

    series = values.to_pandas().astype("string")
    present = series != ""
    if not present.any():
        return pa.nulls(len(values), pa.timestamp("us"))
    sample = str(series[present].iloc[0])
    fmt = time_format or _detect_format(sample)
    if fmt is None:
        index = int(present.to_numpy().argmax())
        raise _row_error(
            path, index, first_line, name, f"unrecognised time {sample!r}: give --time-format"
        )
    text = series.where(present, None)
    if fmt == "ISO8601":
        # XES and FHIR write offsets (+02:00): keep the local wall-clock time, as hopia's times are naive.
        text = text.str.replace(r"(Z|[+-]\d{2}:?\d{2})$", "", regex=True)
    try:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    except ValueError as error:
        raise InputError(str(path), f"bad time format {fmt!r}: {error}", field=name) from error
    failed = (parsed.isna() & present).to_numpy()
    if failed.any():
        index = int(failed.argmax())
        raise _row_error(
            path,
            index,
            first_line,
            name,
            f"time {series.iloc[index]!r} does not match format {fmt!r}",
        )
    return pa.array(
        parsed.astype("datetime64[us]").to_numpy(), pa.timestamp("us"), from_pandas=True
    )


def _detect_format(sample: str) -> str | None:
    import datetime as dt

    if _ISO_WITH_OFFSET.match(sample):
        return "ISO8601"
    for fmt in _TIME_FORMATS:
        try:
            dt.datetime.strptime(sample, fmt)
        except ValueError:
            continue
        return fmt
    return None


def known_formats() -> Iterable[str]:
    """Time formats tried, in order, when no ``--time-format`` is given."""
    return ("ISO 8601 with offset", *_TIME_FORMATS)
