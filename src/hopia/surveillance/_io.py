"""Series in and alarms out as CSV: ``t,observed[,…]`` → the same columns plus ``alarm,upperbound``."""

from __future__ import annotations

import csv
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from hopia.errors import InputError
from hopia.surveillance._result import Detection

REQUIRED = ("t", "observed")


def read_series_csv(path: str | Path) -> tuple[list[str], list[list[str]], np.ndarray]:
    """Read a count series; return the header, the raw rows (kept verbatim) and the counts.

    ``t`` must be consecutive integers in increasing order (the week index) and ``observed``
    non-negative whole numbers. Errors name the file, the line and the field.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = f.write_text("t,observed,week\\n1,3,202401\\n2,0,202402\\n")
    >>> header, rows, counts = read_series_csv(f)
    >>> header, counts.tolist()
    (['t', 'observed', 'week'], [3.0, 0.0])
    """
    place = str(path)
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 (closed by `with` below)
    except OSError as error:
        raise InputError(place, f"cannot read the file ({error.strerror})") from None
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InputError(place, "the file is empty; expected a header with columns t,observed")
        header = [name.strip() for name in header]
        for name in REQUIRED:
            if name not in header:
                raise InputError(
                    place, f"missing column {name!r} (columns: {', '.join(header)})", line=1
                )
        t_col, y_col = header.index("t"), header.index("observed")
        rows: list[list[str]] = []
        counts: list[float] = []
        previous: int | None = None
        for line, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise InputError(place, f"expected {len(header)} fields, got {len(row)}", line=line)
            t = _whole(row[t_col], place, line, "t")
            if previous is not None and t != previous + 1:
                raise InputError(
                    place,
                    f"t must increase by 1 from one row to the next (got {t} after {previous})",
                    line=line,
                    field="t",
                )
            count = _whole(row[y_col], place, line, "observed")
            if count < 0:
                raise InputError(
                    place,
                    f"a count cannot be negative (got {row[y_col].strip()})",
                    line=line,
                    field="observed",
                )
            previous = t
            rows.append(row)
            counts.append(float(count))
    if not rows:
        raise InputError(place, "no data rows after the header")
    return header, rows, np.asarray(counts)


def _whole(text: str, place: str, line: int, field: str) -> int:
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        raise InputError(
            place, f"expected a whole number, got {value!r}", line=line, field=field
        ) from None
    if not math.isfinite(number) or number != int(number):
        raise InputError(place, f"expected a whole number, got {value!r}", line=line, field=field)
    return int(number)


def _cell(value: float) -> str:
    return "" if math.isnan(value) else repr(float(value))


def write_detection_csv(
    path: str | Path, header: list[str], rows: list[list[str]], detection: Detection
) -> None:
    """Write the input columns plus ``alarm`` (1/0, empty where not monitored) and ``upperbound``.

    Existing ``alarm``/``upperbound`` columns are replaced. The file appears only once complete.
    """
    keep = [i for i, name in enumerate(header) if name not in ("alarm", "upperbound")]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([header[i] for i in keep] + ["alarm", "upperbound"])
            for row, alarm, bound in zip(rows, detection.alarm, detection.upperbound, strict=True):
                flag = "" if math.isnan(alarm) else str(int(alarm))
                writer.writerow([row[i] for i in keep] + [flag, _cell(bound)])
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
