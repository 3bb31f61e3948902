"""A short description of a warehouse: rows per table, persons, time span, snapshot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hopia.warehouse.schema import OMOP_TABLES

if TYPE_CHECKING:
    from hopia.warehouse._connection import Warehouse

_SPAN_COLUMNS = {
    "visit_occurrence": "visit_start_date",
    "condition_occurrence": "condition_start_date",
    "measurement": "measurement_date",
    "drug_exposure": "drug_exposure_start_date",
}


def summarize(wh: Warehouse) -> dict[str, Any]:
    """Row counts of every OMOP table, the number of persons and the span of visits.

    Examples
    --------
    >>> from hopia.warehouse import open_warehouse
    >>> summarize(open_warehouse("duckdb://:memory:"))["tables"]
    {}
    """
    import ibis

    present = [name for name in OMOP_TABLES if wh.has_table(name)]
    counts: dict[str, int] = {}
    if present:
        exprs = [wh.table(name).count().name(name) for name in present]
        # One round trip per table is slow on Spark; a single union of counts is one job.
        rows = ibis.union(
            *[
                ibis.memtable({"table": [name]}).select("table").mutate(rows=expr.as_scalar())
                for name, expr in zip(present, exprs, strict=True)
            ]
        ).execute()
        counts = {str(r["table"]): int(r["rows"]) for r in rows.to_dict("records")}
        counts = {name: counts[name] for name in present}
    span: dict[str, str | None] = {"start": None, "end": None}
    for table, column in _SPAN_COLUMNS.items():
        if counts.get(table):
            t = wh.table(table)
            lo, hi = t.aggregate(lo=t[column].min(), hi=t[column].max()).execute().iloc[0]
            span = {"start": str(lo)[:10], "end": str(hi)[:10]}
            break
    return {
        "url": wh.url,
        "engine": wh.engine,
        "snapshot_id": wh.snapshot_id,
        "source": wh.metadata.get("source", ""),
        "persons": counts.get("person", 0),
        "tables": counts,
        "span": span,
    }
