"""Atomic warehouse builds: a new DuckDB file is written beside the old one, checked, then
swapped in with one rename, so a failed or killed load leaves the previous warehouse intact.

Every loader (OMOP CSV/Parquet, FHIR, the synthetic hospital, the pseudonymised copy) ends in
:func:`write_warehouse` or uses :class:`WarehouseBuild` directly when DuckDB can read the
source files itself.

Examples
--------
>>> import pyarrow as pa, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> person = pa.table({"person_id": [1], "gender_concept_id": [8507], "year_of_birth": [1961]})
>>> wh = write_warehouse({"person": person}, f"duckdb:///{folder}/w.duckdb")
>>> wh.table("person").count().execute()
1
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from hopia.errors import InputError, LoadError
from hopia.warehouse._connection import META_TABLE, Warehouse, WarehouseURL, open_warehouse
from hopia.warehouse.schema import OMOP_TABLES, arrow_schema, sql_type

_BUILDING = ".building-"


class WarehouseBuild:
    """A warehouse being built in a private DuckDB file; published by :meth:`commit`.

    Use it as a context manager: leaving the block normally checks and publishes the new
    warehouse; an exception (or a killed process) leaves the previous one untouched.

    Parameters
    ----------
    url
        Where the finished warehouse goes (DuckDB file, or ``spark-local``/``spark://…``:
        the build happens in DuckDB and is then published to Spark).
    source
        A short description of where the data came from, kept in the metadata.
    """

    def __init__(self, url: str | None = None, *, source: str = "") -> None:
        if url is None:
            from hopia.settings import get_settings

            url = get_settings().warehouse_url
        self.url = url
        self.source = source
        self.parsed = WarehouseURL.parse(url)
        if self.parsed.engine == "duckdb" and self.parsed.target != ":memory:":
            self.target: Path | None = self.parsed.path.resolve()
            self.target.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale_builds(self.target)
            self.path = self.target.with_name(
                f".{self.target.name}{_BUILDING}{os.getpid()}-{uuid.uuid4().hex[:8]}"
            )
        else:
            self.target = None
            scratch = Path(os.environ.get("TMPDIR", "/tmp"))
            self.path = scratch / f"hopia{_BUILDING}{os.getpid()}-{uuid.uuid4().hex[:8]}.duckdb"
        self.con = duckdb.connect(str(self.path))
        from hopia.settings import get_settings

        self.con.execute(f"SET threads = {get_settings().threads}")
        self.con.execute("SET enable_progress_bar = false")
        for name, columns in OMOP_TABLES.items():
            cols = ", ".join(f'"{c.name}" {sql_type(c)}' for c in columns)
            self.con.execute(f'CREATE TABLE "{name}" ({cols})')
        self.extra_tables: list[str] = []
        self._done = False

    # -- filling ---------------------------------------------------------------------------
    def put(self, table: str, data: pa.Table | Any) -> int:
        """Append rows to an OMOP table; ``data`` is an Arrow table (cast to the OMOP schema)."""
        if table not in OMOP_TABLES:
            raise LoadError(table, f"unknown OMOP table; expected one of {', '.join(OMOP_TABLES)}")
        arrow = conform_to_schema(data, table)
        self.con.register("_incoming", arrow)
        try:
            self.con.execute(f'INSERT INTO "{table}" SELECT * FROM _incoming')
        finally:
            self.con.unregister("_incoming")
        return arrow.num_rows

    def put_extra(self, key: str, data: pa.Table) -> None:
        """Store a table outside the OMOP schema, ``key`` = ``"schema.table"`` (e.g. ``synth_truth.outbreaks``)."""
        schema, _, name = key.rpartition(".")
        if not schema or not name.isidentifier() or not schema.isidentifier():
            raise InputError(key, "expected an extra table named schema.table")
        self.con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        self.con.register("_incoming", data)
        try:
            self.con.execute(
                f'CREATE OR REPLACE TABLE "{schema}"."{name}" AS SELECT * FROM _incoming'
            )
        finally:
            self.con.unregister("_incoming")
        self.extra_tables.append(key)

    # -- checking and publishing -----------------------------------------------------------
    def validate(self) -> None:
        """Refuse the build when a required column is empty (repeated ids are a quality finding, not a refusal:
        real OMOP extracts have them)."""
        for table, columns in OMOP_TABLES.items():
            required = [c.name for c in columns if c.required]
            if not required:
                continue
            nulls = ", ".join(f'count(*) FILTER (WHERE "{c}" IS NULL)' for c in required)
            counts = self.con.execute(f'SELECT {nulls} FROM "{table}"').fetchone() or ()
            for column, count in zip(required, counts, strict=True):
                if count:
                    raise LoadError(
                        table, f"{count} rows without a value in a required column", field=column
                    )

    def snapshot_id(self) -> str:
        """A content hash of every table: same data, same id."""
        digest = hashlib.sha256()
        for table in [*OMOP_TABLES, *self.extra_tables]:
            quoted = ".".join(f'"{part}"' for part in table.split("."))
            row = self.con.execute(
                f"SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM {quoted} t"
            ).fetchone()
            digest.update(f"{table}:{row}".encode())
        return digest.hexdigest()[:16]

    def commit(self) -> Warehouse:
        """Validate, record metadata, and publish the build at its URL."""
        self.validate()
        meta = {
            "snapshot_id": self.snapshot_id(),
            "source": self.source,
            "created": dt.datetime.now().replace(microsecond=0).isoformat(),
            "cdm_version": "5.4",
        }
        self.con.execute(f"CREATE TABLE {META_TABLE} (key VARCHAR, value VARCHAR)")
        self.con.executemany(f"INSERT INTO {META_TABLE} VALUES (?, ?)", list(meta.items()))
        self.con.execute("CHECKPOINT")
        self.con.close()
        self._done = True
        if self.target is not None:
            wal = self.target.with_name(self.target.name + ".wal")
            with contextlib.suppress(FileNotFoundError):
                wal.unlink()
            os.replace(self.path, self.target)
            return open_warehouse(self.url)
        return self._publish_elsewhere()

    def _publish_elsewhere(self) -> Warehouse:
        built = open_warehouse(f"duckdb:///{self.path}", read_only=True)
        try:
            if self.parsed.engine == "pyspark":
                from hopia.warehouse._spark import publish_to_spark

                return publish_to_spark(built, self.url)
            if self.parsed.target == ":memory:":
                raise LoadError(
                    self.url, "an in-memory warehouse cannot be published; give a file path"
                )
            raise LoadError(
                self.url,
                f"loading into {self.parsed.engine} is not supported; load into DuckDB or Spark",
            )
        finally:
            built.close()
            self.path.unlink(missing_ok=True)

    def abort(self) -> None:
        """Drop the partial build; the previous warehouse stays as it was."""
        with contextlib.suppress(Exception):
            self.con.close()
        self.path.unlink(missing_ok=True)
        self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)

    def __enter__(self) -> WarehouseBuild:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None and not self._done:
            self.abort()


def write_warehouse(
    tables: Mapping[str, pa.Table],
    url: str | None = None,
    *,
    extra: Mapping[str, pa.Table] | None = None,
    source: str = "",
) -> Warehouse:
    """Build a new warehouse from Arrow tables and publish it atomically.

    Parameters
    ----------
    tables
        OMOP table name → Arrow table (columns are cast to the OMOP 5.4 schema; missing
        columns become null; missing tables are created empty).
    url
        Target warehouse URL (default from settings).
    extra
        ``"schema.table"`` → Arrow table, for data outside OMOP (e.g. ``synth_truth.*``).
    source
        Where the data came from (kept in the metadata).

    Returns
    -------
    Warehouse
        The new warehouse, opened.
    """
    build = WarehouseBuild(url, source=source)
    try:
        for name, table in tables.items():
            build.put(name, table)
        for key, table in (extra or {}).items():
            build.put_extra(key, table)
        return build.commit()
    except BaseException:
        build.abort()
        raise


def conform_to_schema(data: pa.Table | Any, table: str) -> pa.Table:
    """Cast an Arrow table (or anything ``pa.table`` accepts) to an OMOP table's schema.

    Column names are matched case-insensitively; missing columns become null; an unknown
    column or a value that does not fit its type is an :class:`InputError`.
    """
    arrow = data if isinstance(data, pa.Table) else pa.table(data)
    schema = arrow_schema(table)
    by_lower = {name.lower(): name for name in arrow.column_names}
    unknown = set(by_lower) - set(schema.names)
    if unknown:
        raise InputError(table, f"unknown column(s) {sorted(unknown)} for OMOP table {table}")
    columns = []
    for field in schema:
        if field.name in by_lower:
            column = arrow.column(by_lower[field.name])
            try:
                column = column.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise InputError(
                    table, f"expected {field.type}, got {column.type}: {error}", field=field.name
                ) from None
        else:
            column = pa.nulls(arrow.num_rows, field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=pa.schema([f.with_nullable(True) for f in schema]))


def _remove_stale_builds(target: Path) -> None:
    """Delete half-built files left by killed loads (their process is gone)."""
    for leftover in target.parent.glob(f".{target.name}{_BUILDING}*"):
        pid_text = leftover.name.split(_BUILDING, 1)[1].split("-", 1)[0]
        if pid_text.isdigit() and _alive(int(pid_text)):
            continue
        leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
