"""Filters on an event log, in the engine: by variant, activity, unit, period or attribute.

Case filters keep whole cases (every event of a case that matches); event filters keep only
the matching events and renumber ``position`` so that the remaining events stay in order.

Examples
--------
>>> import datetime as dt, ibis
>>> from hopia.pathways._log import order_events
>>> t0 = dt.datetime(2024, 1, 1, 8)
>>> log = order_events(ibis.memtable({
...     "case_id": ["A", "A", "B"], "activity": ["ED", "ICU", "ED"],
...     "time": [t0, t0 + dt.timedelta(hours=1), t0], "source_row": [0, 1, 2]}))
>>> sorted(filter_activity(log, ["ICU"]).case_id.to_list())
['A', 'A']
>>> filter_activity(log, ["ICU"], mode="event").activity.to_list()
['ICU']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import ibis

from hopia.errors import InputError
from hopia.pathways._discovery import case_variants
from hopia.pathways._log import renumber

if TYPE_CHECKING:
    import ibis.expr.types as ir

FilterMode = Literal["case", "event"]
PeriodMode = Literal["started", "contained", "intersecting", "event"]


def filter_cases(log: ir.Table, predicate: ir.BooleanValue, *, keep: bool = True) -> ir.Table:
    """Keep (or drop, ``keep=False``) the cases having at least one event where ``predicate`` holds."""
    matching = log.filter(predicate).select("case_id").distinct()
    if keep:
        return log.semi_join(matching, "case_id")
    return log.anti_join(matching, "case_id")


def _filter(log: ir.Table, predicate: ir.BooleanValue, mode: FilterMode, keep: bool) -> ir.Table:
    if mode == "case":
        return filter_cases(log, predicate, keep=keep)
    if mode == "event":
        return renumber(log.filter(predicate if keep else ~predicate))
    raise InputError("filter mode", f"expected case or event, got {mode!r}")


def filter_variants(log: ir.Table, variants: Sequence[str], *, keep: bool = True) -> ir.Table:
    """Keep the cases whose variant (activities joined by ``,``) is one of ``variants``."""
    per_case = case_variants(log)
    chosen = per_case.filter(per_case.variant.isin(list(variants))).select("case_id")
    return log.semi_join(chosen, "case_id") if keep else log.anti_join(chosen, "case_id")


def filter_top_variants(log: ir.Table, n: int) -> ir.Table:
    """Keep the cases of the ``n`` most frequent variants (ties broken by variant text)."""
    per_case = case_variants(log)
    counts = per_case.group_by("variant").aggregate(cases=per_case.count())
    top = counts.order_by([ibis.desc("cases"), "variant"]).limit(n).select("variant")
    chosen = per_case.semi_join(top, "variant").select("case_id")
    return log.semi_join(chosen, "case_id")


def filter_activity(
    log: ir.Table, activities: Sequence[str], *, mode: FilterMode = "case", keep: bool = True
) -> ir.Table:
    """Cases that go through one of ``activities`` (``mode="event"``: only those events)."""
    return _filter(log, log.activity.isin(list(activities)), mode, keep)


def filter_unit(
    log: ir.Table, units: Sequence[str], *, mode: FilterMode = "case", keep: bool = True
) -> ir.Table:
    """Cases that go through one of ``units`` (``mode="event"``: only the events in them)."""
    return _filter(log, log.unit.isin(list(units)), mode, keep)


def filter_attribute(
    log: ir.Table,
    column: str,
    values: Sequence[str],
    *,
    mode: FilterMode = "case",
    keep: bool = True,
) -> ir.Table:
    """Cases with an event whose ``column`` is one of ``values`` (diagnosis, age band, …)."""
    if column not in log.columns:
        raise InputError("event log", f"no attribute column {column!r}", field=column)
    return _filter(log, log[column].cast("string").isin([str(v) for v in values]), mode, keep)


def filter_period(
    log: ir.Table,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    *,
    mode: PeriodMode = "started",
) -> ir.Table:
    """Cases (or events) within ``[start, end)``.

    ``mode``: ``"started"`` cases whose first event is in the period; ``"contained"`` cases
    entirely in it; ``"intersecting"`` cases overlapping it; ``"event"`` only the events in it.
    """

    def within(value: ir.TimestampValue) -> ir.BooleanValue:
        condition = ibis.literal(True)
        if start is not None:
            condition &= value >= start
        if end is not None:
            condition &= value < end
        return condition

    if mode == "event":
        return renumber(log.filter(within(log.time)))
    bounds = log.group_by("case_id").aggregate(first=log.time.min(), last=log.time.max())
    if mode == "started":
        chosen = bounds.filter(within(bounds.first))
    elif mode == "contained":
        chosen = bounds.filter(within(bounds.first) & within(bounds.last))
    elif mode == "intersecting":
        overlap = ibis.literal(True)
        if start is not None:
            overlap &= bounds.last >= start
        if end is not None:
            overlap &= bounds.first < end
        chosen = bounds.filter(overlap)
    else:
        raise InputError(
            "period mode", f"expected started, contained, intersecting or event, got {mode!r}"
        )
    return log.semi_join(chosen.select("case_id"), "case_id")
