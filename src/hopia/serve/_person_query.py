"""Per-person warehouse queries compiled once and run many times.

Building and compiling an Ibis expression takes far longer than running it on one person
(hundreds of milliseconds against a few), so the service compiles each per-person query
once per warehouse version with a sentinel id in place of the person, and substitutes the
(integer) id at run time. Only DuckDB runs the cached SQL directly; other engines, or a
query whose SQL does not hold the sentinel, go through Ibis every time — same expression,
same result.

Examples
--------
>>> from hopia.warehouse import open_warehouse
>>> wh = open_warehouse("duckdb://:memory:")
>>> _ = wh.con.raw_sql("CREATE TABLE person AS SELECT 7::BIGINT AS person_id")
>>> build = lambda wh, pid: wh.table("person").filter(wh.table("person").person_id == pid)
>>> cache = {}
>>> run_for_person(wh, 7, build, cache=cache, key="p").num_rows
1
>>> run_for_person(wh, 8, build, cache=cache, key="p").num_rows
0
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from hopia.warehouse import Warehouse

SENTINEL = 7_319_846_205_113_579
"""A person id that no warehouse uses, marking where the real id goes in compiled SQL."""


def run_for_person(
    wh: Warehouse,
    person_id: int,
    build: Callable[[Warehouse, int], ir.Table],
    *,
    cache: MutableMapping[Any, Any] | None,
    key: str,
) -> pa.Table:
    """Run ``build(wh, person_id)`` and return its rows as Arrow.

    Parameters
    ----------
    wh
        The warehouse.
    person_id
        The person (an integer: it is written into SQL text).
    build
        Makes the Ibis expression for a person id.
    cache
        Where compiled SQL is kept (one mapping per warehouse version); ``None`` to compile
        every time.
    key
        Name of this query in the cache.
    """
    person_id = int(person_id)
    if cache is None or wh.engine != "duckdb":
        return build(wh, person_id).to_pyarrow()
    sql = cache.get(("sql", key))
    if sql is None:
        text = str(wh.con.compile(build(wh, SENTINEL)))
        sql = text if str(SENTINEL) in text else ""
        cache[("sql", key)] = sql
    if not sql:
        return build(wh, person_id).to_pyarrow()
    return wh.con.con.execute(sql.replace(str(SENTINEL), str(person_id))).to_arrow_table()
