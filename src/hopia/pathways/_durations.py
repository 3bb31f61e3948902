"""Durations and rework, in the engine: throughput time per case, sojourn per activity or unit.

Examples
--------
>>> import datetime as dt, ibis
>>> from hopia.pathways._log import order_events
>>> t0 = dt.datetime(2024, 1, 1, 8)
>>> log = order_events(ibis.memtable({
...     "case_id": ["A", "A", "A"], "activity": ["ED", "Ward", "Ward"],
...     "time": [t0, t0 + dt.timedelta(hours=2), t0 + dt.timedelta(hours=5)],
...     "source_row": [0, 1, 2]}))
>>> throughput_times(log).execute()["seconds"].tolist()
[18000.0]
>>> rework(log).execute().set_index("activity")["rework_cases"].to_dict()
{'Ward': 1, 'ED': 0}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.datatypes as dt

from hopia.errors import InputError
from hopia.pathways._log import seconds_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

SojournUntil = Literal["end", "next", "auto"]


def throughput_times(log: ir.Table) -> ir.Table:
    """Throughput time of each case: from its first event to its last end (or last event).

    Returns
    -------
    ibis.expr.types.Table
        ``case_id, start, end, events, seconds`` — ``end`` is the latest of the events'
        ``end_time`` and ``time`` (pm4py's case duration when the log has no end times).
    """
    finish = ibis.greatest(log.time, ibis.coalesce(log.end_time, log.time))
    cases = log.group_by("case_id").aggregate(
        start=log.time.min(), end=finish.max(), events=log.count()
    )
    return cases.mutate(seconds=seconds_between(cases.end, cases.start)).order_by("case_id")


def duration_summary(
    table: ir.Table, by: list[str], value: str = "seconds", *, percentile: float = 0.9
) -> ir.Table:
    """``count, mean, median, p90, min, max`` of a duration column per group.

    Median and percentile are the engine's exact interpolated quantiles (numpy's default
    method), rounded to the millisecond.
    """
    p_name = f"p{round(percentile * 100)}_{value}"
    column = table[value]
    stats = (table.group_by(by) if by else table).aggregate(
        count=column.count(),
        **{
            f"mean_{value}": column.mean(),
            f"median_{value}": column.quantile(0.5).round(3),
            p_name: column.quantile(percentile).round(3),
            f"min_{value}": column.min(),
            f"max_{value}": column.max(),
        },
    )
    return stats


def sojourn_times(log: ir.Table, *, by: str = "activity", until: SojournUntil = "auto") -> ir.Table:
    """Time spent in each activity (or unit), one row per event.

    Parameters
    ----------
    log
        The event log.
    by
        ``"activity"`` or ``"unit"`` (or any attribute column).
    until
        ``"end"``: ``end_time - time`` (unit stays, steps with a duration); ``"next"``: the
        time until the case's next event (logs with one timestamp per event, where the
        sojourn is the wait before the next step); ``"auto"``: ``"end"`` when the log has
        end times, else ``"next"``.

    Returns
    -------
    ibis.expr.types.Table
        ``case_id, <by>, time, seconds`` (events without a measurable duration are left out).
    """
    if by not in log.columns:
        raise InputError("event log", f"no column {by!r} to group sojourn times by", field=by)
    if until == "auto":
        has_end = log.end_time.notnull().any().to_pyarrow().as_py()
        until = "end" if has_end else "next"
    if until == "end":
        seconds = seconds_between(log.end_time, log.time)
        rows = log.mutate(seconds=seconds)
    elif until == "next":
        window = ibis.window(group_by=log.case_id, order_by=log.position)
        rows = log.mutate(seconds=seconds_between(log.time.lead().over(window), log.time))
    else:
        raise InputError("until", f"expected end, next or auto, got {until!r}")
    rows = rows.filter(rows.seconds.notnull() & rows[by].notnull())
    return rows.select("case_id", by, "time", "seconds")


def rework(log: ir.Table, *, by: str = "activity") -> ir.Table:
    """Repeated activities (or units): how many cases do the same step more than once.

    Returns
    -------
    ibis.expr.types.Table
        ``<by>, cases, rework_cases, repeats, rework_rate`` — ``repeats`` counts the
        occurrences beyond the first in each case.
    """
    per_case = log.group_by(["case_id", by]).aggregate(times=log.count())
    result = per_case.group_by(by).aggregate(
        cases=per_case.count(),
        rework_cases=(per_case.times > 1).cast(dt.int64).sum(),
        repeats=(per_case.times - 1).sum(),
    )
    result = result.mutate(rework_rate=result.rework_cases.cast(dt.float64) / result.cases)
    return result.order_by([ibis.desc("rework_cases"), ibis.desc("cases"), by])
