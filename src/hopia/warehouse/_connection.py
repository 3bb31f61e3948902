"""Opening a warehouse from its URL: DuckDB file, local or remote Spark, or any Ibis URL.

Examples
--------
>>> from hopia.warehouse import open_warehouse
>>> wh = open_warehouse("duckdb://:memory:")
>>> wh.engine
'duckdb'
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis

from hopia.errors import InputError
from hopia.warehouse.schema import OMOP_TABLES

if TYPE_CHECKING:
    import ibis.expr.types as ir

META_TABLE = "hopia_metadata"


@dataclass(frozen=True)
class WarehouseURL:
    """A parsed warehouse URL.

    ``duckdb:///relative/path.duckdb`` and ``duckdb:////absolute/path.duckdb`` (SQLAlchemy's
    convention), ``duckdb://:memory:``, ``spark-local``, ``spark://host:port``, or any URL Ibis
    understands (``postgres://user:pw@host/db``).
    """

    engine: str
    target: str

    @classmethod
    def parse(cls, url: str) -> WarehouseURL:
        """Parse a URL; a bare path ending in ``.duckdb`` is a DuckDB file."""
        if url.startswith("duckdb://"):
            rest = url.removeprefix("duckdb://")
            if rest in ("", ":memory:"):
                return cls("duckdb", ":memory:")
            return cls("duckdb", rest.removeprefix("/") if not rest.startswith("//") else rest[1:])
        if url.endswith(".duckdb"):
            return cls("duckdb", url)
        if url == "spark-local" or url.startswith("spark://"):
            return cls("pyspark", url)
        if url.startswith(("postgres://", "postgresql://")):
            return cls("postgres", url)
        raise InputError(
            "warehouse URL",
            f"expected duckdb:///PATH, spark-local, spark://… or postgres://…, got {url!r}",
        )

    @property
    def path(self) -> Path:
        """The DuckDB file of this URL."""
        return Path(self.target)


@dataclass
class Warehouse:
    """An OMOP CDM 5.4 warehouse reached through an Ibis backend.

    Use :func:`open_warehouse` to get one. ``wh.table(name)`` gives an Ibis table,
    ``wh.events()`` the long event view, ``wh.summary()`` counts and date ranges.
    """

    con: Any
    url: str
    engine: str
    database: str | None = None
    namespace: str | None = None
    """Spark only: the prefix of this warehouse's views (several warehouses share one session)."""
    _cleanup: list[Any] = field(default_factory=list, repr=False)

    def table(self, name: str, database: str | None = None) -> ir.Table:
        """An Ibis table of the warehouse (``database`` names a schema such as ``synth_truth``)."""
        if database is None:
            database = self.database
        try:
            if self.engine == "pyspark":
                from hopia.warehouse._spark import spark_view_name

                return self.con.table(spark_view_name(name, database, self.namespace))
            return self.con.table(name, database=database) if database else self.con.table(name)
        except Exception as error:  # backends raise their own "not found" types
            where = f"{database}.{name}" if database else name
            raise InputError(self.url, f"no table {where} in this warehouse") from error

    def has_table(self, name: str, database: str | None = None) -> bool:
        """Whether the warehouse has a table."""
        try:
            self.table(name, database)
        except InputError:
            return False
        return True

    def events(self) -> ir.Table:
        """The long event view ``(person_id, time, end_time, code, value, text_value, unit,
        domain, visit_occurrence_id, date_only)`` built from the OMOP tables."""
        from hopia.warehouse._events import build_events

        return build_events(self)

    def summary(self) -> dict[str, Any]:
        """Row counts, persons, date range and snapshot of the warehouse."""
        from hopia.warehouse._summary import summarize

        return summarize(self)

    @property
    def metadata(self) -> dict[str, str]:
        """Key/value facts written at load time (snapshot id, source, created)."""
        if not self.has_table(META_TABLE):
            return {}
        frame = self.table(META_TABLE).to_pyarrow().to_pylist()
        return {row["key"]: row["value"] for row in frame}

    @property
    def snapshot_id(self) -> str:
        """Identifier of the loaded data (content hash taken at load time)."""
        return self.metadata.get("snapshot_id", "unknown")

    def close(self) -> None:
        """Release cached intermediate tables, the connection and any temporary files."""
        for name in list(getattr(self.con, "_cache_name_to_entry", {})):
            with contextlib.suppress(Exception):
                self.con._finalize_cached_table(name)
        with contextlib.suppress(Exception):
            self.con.disconnect()
        for item in self._cleanup:
            if isinstance(item, Path):
                shutil.rmtree(item, ignore_errors=True)
            elif callable(item):
                item()
        self._cleanup.clear()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_warehouse(url: str | None = None, read_only: bool = False) -> Warehouse:
    """Open the warehouse at ``url`` (default: ``HOPIA_WAREHOUSE`` or the DuckDB file under
    ``HOPIA_DATA_DIR``).

    Parameters
    ----------
    url
        ``duckdb:///path.duckdb``, ``duckdb://:memory:``, ``spark-local``, ``spark://…``,
        ``postgres://…``.
    read_only
        Open a DuckDB file read-only (what the API and the UI do).

    Examples
    --------
    >>> wh = open_warehouse("duckdb://:memory:")
    >>> wh.has_table("person")
    False
    """
    if url is None:
        from hopia.settings import get_settings

        url = get_settings().warehouse_url
    parsed = WarehouseURL.parse(url)
    if parsed.engine == "duckdb":
        return _open_duckdb(parsed, url, read_only)
    if parsed.engine == "pyspark":
        from hopia.warehouse._spark import open_spark

        return open_spark(url)
    return Warehouse(con=ibis.connect(url), url=url, engine=parsed.engine)


def _open_duckdb(parsed: WarehouseURL, url: str, read_only: bool) -> Warehouse:
    if parsed.target == ":memory:":
        return Warehouse(con=ibis.duckdb.connect(":memory:"), url=url, engine="duckdb")
    path = parsed.path
    if read_only and not path.exists():
        raise InputError(str(path), "no warehouse here yet: load one (hopia load …, hopia synth)")
    path.parent.mkdir(parents=True, exist_ok=True)
    con = ibis.duckdb.connect(str(path), read_only=read_only)
    _tune_duckdb(con)
    return Warehouse(con=con, url=url, engine="duckdb")


def _tune_duckdb(con: Any) -> None:
    """Threads from HOPIA_THREADS; no progress bar noise; a private temp folder."""
    from hopia.settings import get_settings

    raw = con.con
    raw.execute(f"SET threads = {get_settings().threads}")
    raw.execute("SET enable_progress_bar = false")
    raw.execute(f"SET temp_directory = '{tempfile.gettempdir()}/hopia-duckdb-spill'")


def omop_tables_present(wh: Warehouse) -> list[str]:
    """The OMOP tables the warehouse holds."""
    return [name for name in OMOP_TABLES if wh.has_table(name)]
