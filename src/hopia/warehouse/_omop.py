"""Loading OMOP CDM folders (CSV or Parquet, CDM 5.3 or 5.4) into a new warehouse.

DuckDB reads the files itself (no Python row loop): every column is read as text and cast
with an explicit rule, so 64-bit ids never pass through floats, ``2019-01-01T00:00:00Z`` and
``2019-01-01 00:00:00`` are both timestamps, headers may be in any case and separated by
commas or tabs. A value that does not fit its column stops the load with the file, the line
and the field; the previous warehouse is untouched.

Examples
--------
>>> from pathlib import Path
>>> table_of(Path("PERSON.csv")), table_of(Path("measurement.parquet")), table_of(Path("x/._person.csv"))
('person', 'measurement', None)
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from hopia.errors import InputError, LoadError
from hopia.warehouse._connection import Warehouse
from hopia.warehouse._store import WarehouseBuild
from hopia.warehouse.schema import CDM_53_RENAMES, OMOP_TABLES, OTHER_OMOP_TABLES, Column

_SUFFIXES = (".csv.gz", ".csv", ".tsv", ".parquet")
_EXPECTED = {
    "int": "an integer",
    "float": "a number",
    "date": "a date YYYY-MM-DD",
    "datetime": "a date-time YYYY-MM-DD HH:MM:SS",
}


@dataclass
class LoadReport:
    """What a load did: rows per table, files skipped, columns dropped."""

    rows: dict[str, int] = field(default_factory=dict)
    skipped_tables: list[str] = field(default_factory=list)
    dropped_columns: dict[str, list[str]] = field(default_factory=dict)
    warehouse: Warehouse | None = None


def table_of(path: Path) -> str | None:
    """The OMOP table a file holds, from its name (``None`` for resource-fork junk)."""
    name = path.name
    if name.startswith("._") or "__MACOSX" in path.parts:
        return None
    lower = name.lower()
    for suffix in _SUFFIXES:
        if lower.endswith(suffix):
            return lower.removesuffix(suffix)
    return None


def load_omop(
    source: Path | str, url: str | None = None, *, source_name: str | None = None
) -> LoadReport:
    """Load an OMOP CDM folder or zip of CSV/Parquet files into a new warehouse at ``url``.

    Parameters
    ----------
    source
        A folder (searched recursively) or a ``.zip`` of one.
    url
        Target warehouse (default from settings); replaced atomically when the load succeeds.

    Returns
    -------
    LoadReport
        Rows loaded per table, tables recognised but not kept, columns dropped.
    """
    source = Path(source)
    if not source.exists():
        raise InputError(str(source), "no such file or folder")
    with tempfile.TemporaryDirectory(prefix="hopia-omop-") as scratch:
        folder = _unzip(source, Path(scratch)) if source.suffix.lower() == ".zip" else source
        files = _omop_files(folder)
        report = LoadReport()
        with WarehouseBuild(url, source=source_name or f"OMOP files {source.name}") as build:
            for table, path in files.items():
                if table not in OMOP_TABLES:
                    report.skipped_tables.append(table)
                    continue
                dropped, rows = _load_file(build.con, table, path)
                report.rows[table] = rows
                if dropped:
                    report.dropped_columns[table] = dropped
            report.warehouse = build.commit()
    return report


def _unzip(archive: Path, into: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.infolist():
                if member.is_dir() or table_of(Path(member.filename)) is None:
                    continue
                target = into / Path(member.filename).name
                with zipped.open(member) as src, open(target, "wb") as dst:
                    dst.write(src.read())
    except zipfile.BadZipFile as error:
        raise LoadError(str(archive), f"not a readable zip file ({error})") from None
    return into


def _omop_files(folder: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        table = table_of(path)
        if table is None:
            continue
        if table not in OMOP_TABLES and table not in OTHER_OMOP_TABLES:
            raise LoadError(
                str(path),
                f"unknown table {table!r}: expected an OMOP CDM table file such as person.csv",
            )
        if table in files:
            raise LoadError(
                str(path), f"a second file for table {table} (first: {files[table].name})"
            )
        files[table] = path
    if not any(t in OMOP_TABLES for t in files):
        raise LoadError(
            str(folder), "no OMOP table files (person.csv, visit_occurrence.csv, … or .parquet)"
        )
    return files


def _reader(path: Path) -> str:
    """A DuckDB table function reading ``path`` with every column as text."""
    quoted = str(path).replace("'", "''")
    if path.name.lower().endswith(".parquet"):
        return f"read_parquet('{quoted}')"
    opener = __import__("gzip").open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        header = handle.readline()
    delim = "\\t" if header.count("\t") > header.count(",") else ","
    return (
        f"read_csv('{quoted}', header=true, all_varchar=true, delim='{delim}', quote='\"', "
        f"escape='\"', strict_mode=true, null_padding=false, auto_detect=false, "
        f"columns={_header_columns(header, delim)})"
    )


def _header_columns(header: str, delim: str) -> str:
    sep = "\t" if delim == "\\t" else ","
    names = [h.strip().strip('"').lstrip("\ufeff") for h in header.rstrip("\r\n").split(sep)]
    return "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"


def _cast(column: Column, expr: str) -> str:
    text = f"nullif(trim(CAST({expr} AS VARCHAR)), '')"
    if column.type == "int":
        return f"CAST({text} AS BIGINT)"
    if column.type == "float":
        return f"CAST({text} AS DOUBLE)"
    if column.type == "date":
        return f"CAST(left({text}, 10) AS DATE)"
    if column.type == "datetime":
        naive = rf"replace(regexp_replace({text}, '(Z|[+-]\d\d:?\d\d)$', ''), 'T', ' ')"
        return f"CAST({naive} AS TIMESTAMP)"
    return f"CAST({expr} AS VARCHAR)"


def _load_file(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> tuple[list[str], int]:
    reader = _reader(path)
    try:
        header = [d[0] for d in con.execute(f"SELECT * FROM {reader} LIMIT 0").description]
    except duckdb.Error as error:
        raise _csv_error(path, error) from None
    renames = CDM_53_RENAMES.get(table, {})
    by_name = {renames.get(h.lower(), h.lower()): h for h in header}
    columns = OMOP_TABLES[table]
    wanted = {c.name for c in columns}
    dropped = sorted(h for target, h in by_name.items() if target not in wanted)
    select = ", ".join(
        _cast(c, f'"{by_name[c.name]}"') + f' AS "{c.name}"'
        if c.name in by_name
        else f'NULL AS "{c.name}"'
        for c in columns
    )
    before = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # type: ignore[index]
    try:
        con.execute(f'INSERT INTO "{table}" SELECT {select} FROM {reader}')
    except duckdb.ConversionException:
        raise _conversion_error(con, path, reader, columns, by_name) from None
    except duckdb.Error as error:
        raise _csv_error(path, error) from None
    after = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # type: ignore[index]
    return dropped, int(after - before)


def _csv_error(path: Path, error: duckdb.Error) -> LoadError:
    message = str(error)
    line = re.search(r"Line: (\d+)", message)
    first = next(
        (m for m in message.splitlines() if m.strip() and "Error" not in m[:20]),
        message.splitlines()[0],
    )
    if "Expected Number of Columns" in message or "columns" in message.lower():
        found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
        if found:
            first = f"expected {found.group(1)} fields, found {found.group(2)} (truncated or malformed row)"
    return LoadError(str(path), first.strip(), line=int(line.group(1)) if line else None)


def _conversion_error(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    reader: str,
    columns: tuple[Column, ...],
    by_name: dict[str, str],
) -> LoadError:
    """Find the first value that does not fit its column, for a message that names it."""
    line_offset = 1 if path.name.lower().endswith(".parquet") else 2
    for column in columns:
        if column.type == "str" or column.name not in by_name:
            continue
        source = f'"{by_name[column.name]}"'
        tried = _cast(column, source).replace("CAST(", "TRY_CAST(", 1)
        bad = con.execute(
            f"SELECT n, raw FROM (SELECT row_number() OVER () AS n, CAST({source} AS VARCHAR) AS raw, "
            f"{tried} AS value FROM {reader}) WHERE value IS NULL AND nullif(trim(raw), '') IS NOT NULL "
            "ORDER BY n LIMIT 1"
        ).fetchone()
        if bad:
            return LoadError(
                str(path),
                f"expected {_EXPECTED[column.type]}, got {bad[1]!r}",
                line=int(bad[0]) + line_offset - 1,
                field=column.name,
            )
    return LoadError(str(path), "a value does not fit its column type")
