"""The Spark engine: a local (or cluster) SparkSession behind the same Ibis code.

Every session gets its own temporary ``spark.sql.warehouse.dir``. Tables are published as
Parquet snapshots (one folder per load) and exposed as views, so a load is atomic: the views
switch to the new snapshot only once every file is written. Timestamps stay naive
(``TIMESTAMP_NTZ``): hospital times are local and never converted.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from hopia.warehouse._connection import META_TABLE, Warehouse
from hopia.warehouse.schema import OMOP_TABLES

_SESSION: dict[str, Any] = {}


def spark_session(master: str = "local") -> Any:
    """The process's SparkSession (created once), tuned for small machines."""
    if "session" in _SESSION:
        return _SESSION["session"]
    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)  # type: ignore[attr-defined]
    from pyspark.sql import SparkSession

    from hopia.settings import get_settings

    threads = get_settings().threads
    root = Path(tempfile.mkdtemp(prefix="hopia-spark-"))
    if master == "local":
        master = f"local[{threads}]"
    session = (
        SparkSession.builder.master(master)
        .appName("hopia")
        .config("spark.sql.warehouse.dir", str(root / "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={root}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(max(2, threads * 2)))
        .config("spark.default.parallelism", str(max(2, threads * 2)))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", os.environ.get("HOPIA_SPARK_MEMORY", "2g"))
        .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
        .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    _SESSION.update(session=session, root=root)
    return session


def open_spark(url: str, namespace: str | None = None) -> Warehouse:
    """A warehouse over the process's SparkSession (``spark-local`` or ``spark://host:port``).

    ``namespace`` selects a published snapshot (default: the last one published in this process).
    """
    import ibis

    master = "local" if url == "spark-local" else url
    session = spark_session(master)
    return Warehouse(
        con=ibis.pyspark.connect(session),
        url=url,
        engine="pyspark",
        namespace=namespace or _SESSION.get("current"),
    )


def publish_to_spark(built: Warehouse, url: str) -> Warehouse:
    """Copy every table of a DuckDB warehouse into a new Parquet snapshot and switch the views.

    The views are named ``w<snapshot id>__<table>``: two warehouses with different data live
    side by side in one session, and the same data published twice shares its views.
    """
    namespace = f"w{built.snapshot_id}"
    session = spark_session("local" if url == "spark-local" else url)
    snapshot = Path(_SESSION["root"]) / "snapshots" / uuid.uuid4().hex[:12]
    snapshot.mkdir(parents=True)
    raw = built.con.con
    names = [*OMOP_TABLES, META_TABLE]
    extras = raw.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema NOT IN ('main', 'information_schema', 'pg_catalog')"
    ).fetchall()
    sources = [(f'"{name}"', spark_view_name(name, None, namespace)) for name in names]
    sources += [
        (f'"{schema}"."{table}"', spark_view_name(table, schema, namespace))
        for schema, table in extras
    ]
    for source, view in sources:
        path = snapshot / f"{view}.parquet"
        raw.execute(f"COPY {source} TO '{path}' (FORMAT parquet)")
    for _, view in sources:
        session.read.parquet(str(snapshot / f"{view}.parquet")).createOrReplaceTempView(view)
    _SESSION["current"] = namespace
    return open_spark(url, namespace)


def spark_view_name(table: str, database: str | None, namespace: str | None = None) -> str:
    """Spark temp views have no schema: ``synth_truth.outbreaks`` of warehouse ``w1f2e`` is the
    view ``w1f2e__synth_truth__outbreaks``."""
    return "__".join(part for part in (namespace, database, table) if part)


def copy_to_spark(wh: Warehouse, url: str = "spark-local") -> Warehouse:
    """The same data as a DuckDB warehouse, on Spark (used by the engine test suite)."""
    if wh.engine != "duckdb":
        raise ValueError("copy_to_spark copies from a DuckDB warehouse")
    return publish_to_spark(wh, url)
