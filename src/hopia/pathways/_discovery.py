"""Pathway discovery written once in Ibis: directly-follows graph, variants, start/end activities.

Each function takes an event log (see :mod:`hopia.pathways._log`) and returns a lazy Ibis
table, so the work runs inside the engine (DuckDB, Spark, PostgreSQL) and only the small
result comes back. Medians and percentiles are exact (ranked values, linear interpolation
between the two closest ranks, as numpy and pm4py compute them), on every engine.

Examples
--------
>>> import datetime as dt, ibis
>>> from hopia.pathways._log import order_events
>>> t0 = dt.datetime(2024, 1, 1, 8)
>>> log = order_events(ibis.memtable({
...     "case_id": ["A", "A", "B", "B"], "activity": ["ED", "Ward", "ED", "Ward"],
...     "time": [t0, t0 + dt.timedelta(hours=2), t0, t0 + dt.timedelta(hours=4)],
...     "source_row": [0, 1, 2, 3]}))
>>> directly_follows(log).execute().to_dict("records")[0]["median_seconds"]
10800.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import ibis
import ibis.expr.datatypes as dt

if TYPE_CHECKING:
    import ibis.expr.types as ir

VARIANT_SEPARATOR = ","


def exact_quantiles(
    table: ir.Table,
    by: Sequence[str],
    value: str,
    quantiles: Mapping[str, float],
) -> ir.Table:
    """Exact quantiles of ``value`` per group, with numpy's default (linear) interpolation.

    Engines' ``median`` differ (approximate on some, interpolated or not on others); ranking
    the values with a window gives the same result everywhere. Null values are ignored.

    Parameters
    ----------
    table
        The rows.
    by
        Grouping columns (may be empty for one overall row).
    value
        The numeric column.
    quantiles
        Output column name → quantile in [0, 1], e.g. ``{"median_seconds": 0.5}``.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"g": ["a"] * 4, "x": [1.0, 2.0, 3.0, 10.0]})
    >>> exact_quantiles(t, ["g"], "x", {"median": 0.5, "p90": 0.9}).execute().to_dict("records")
    [{'g': 'a', 'median': 2.5, 'p90': 7.900000000000001}]
    """
    rows = table.filter(table[value].notnull())
    group = list(by)
    rank_window = ibis.window(group_by=group or None, order_by=rows[value])
    size_window = ibis.window(group_by=group or None)
    rows = rows.mutate(
        _rank=ibis.row_number().over(rank_window),
        _size=rows[value].count().over(size_window),
    )
    aggregates: dict[str, ir.Value] = {}
    for name, q in quantiles.items():
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile {name} must be in [0, 1], got {q}")
        # numpy's virtual index for its default "linear" method: (n - 1) * q
        position = (rows._size - 1).cast(dt.float64) * q
        if q == 0.5:  # exactly the two middle values, no floating-point rank
            low_rank, high_rank = (rows._size - 1) // 2, rows._size // 2
        else:
            low_rank = position.floor().cast(dt.int64)
            high_rank = ibis.least(low_rank + 1, rows._size - 1)
        aggregates[f"_{name}_lo"] = rows[value].max(where=rows._rank == low_rank)
        aggregates[f"_{name}_hi"] = rows[value].max(where=rows._rank == high_rank)
        aggregates[f"_{name}_pos"] = position.max()
    result = rows.group_by(group).aggregate(**aggregates) if group else rows.aggregate(**aggregates)
    columns: dict[str, ir.Value] = {}
    for name, q in quantiles.items():
        lo, hi = result[f"_{name}_lo"], result[f"_{name}_hi"]
        if q == 0.5:
            columns[name] = (lo + hi) / 2.0
        else:
            gamma = result[f"_{name}_pos"] - result[f"_{name}_pos"].floor()
            # numpy's _lerp: from the upper value when gamma >= 0.5 (fewer rounding steps)
            columns[name] = ibis.ifelse(
                gamma >= 0.5, hi - (hi - lo) * (1.0 - gamma), lo + (hi - lo) * gamma
            )
    return result.select(*group, **columns)


def _steps(log: ir.Table) -> ir.Table:
    """Each event with the next event of its case: ``target`` and the wait until it, in
    integer milliseconds (``ms``) and in seconds."""
    window = ibis.window(group_by=log.case_id, order_by=log.position)
    following = log.mutate(
        target=log.activity.lead().over(window),
        target_time=log.time.lead().over(window),
    )
    following = following.filter(following.target_time.notnull())
    ms = following.target_time.delta(following.time, unit="millisecond").cast(dt.int64)
    return following.select(
        "case_id",
        source=following.activity,
        target=following.target,
        ms=ms,
        seconds=ms.cast(dt.float64) / 1000.0,
    )


def directly_follows(
    log: ir.Table, *, waiting_times: bool = True, percentile: float = 0.9
) -> ir.Table:
    """The directly-follows graph: one row per (source, target) pair of consecutive events.

    Parameters
    ----------
    log
        The event log.
    waiting_times
        Also give the waiting-time statistics (``False``: counts only, like pm4py's
        ``discover_dfg``).
    percentile
        The upper percentile reported besides the median.

    Returns
    -------
    ibis.expr.types.Table
        ``source, target, count, cases, mean_seconds, median_seconds, p90_seconds`` — the
        waiting time is the next event's time minus this event's time, as in pm4py's
        performance DFG. The mean is the exact sum of milliseconds divided once; the median
        and the percentile are the engines' exact interpolated quantiles (DuckDB
        ``percentile_cont``, Spark ``percentile``: the mean of the two middle values for an
        even count, as numpy), the percentile rounded to the millisecond so that engines
        agree to the last digit.
    """
    steps = _steps(log)
    metrics: dict[str, ir.Value] = {"count": steps.count(), "cases": steps.case_id.nunique()}
    p_name = f"p{round(percentile * 100)}_seconds"
    if waiting_times:
        metrics["mean_seconds"] = steps.ms.sum().cast(dt.float64) / (steps.count() * 1000).cast(
            dt.float64
        )
        metrics["median_seconds"] = steps.ms.quantile(0.5) / 1000.0
        metrics[p_name] = (steps.ms.quantile(percentile) / 1000.0).round(3)
    return steps.group_by(["source", "target"]).aggregate(**metrics).order_by(["source", "target"])


def _with_case_size(log: ir.Table) -> ir.Table:
    return log.mutate(_events=log.count().over(ibis.window(group_by=log.case_id)))


def start_activities(log: ir.Table) -> ir.Table:
    """How many cases start with each activity: ``activity, cases``."""
    first = log.filter(log.position == 0)
    return (
        first.group_by("activity")
        .aggregate(cases=first.count())
        .order_by([ibis.desc("cases"), "activity"])
    )


def end_activities(log: ir.Table) -> ir.Table:
    """How many cases end with each activity: ``activity, cases``."""
    sized = _with_case_size(log)
    last = sized.filter(sized.position == sized._events - 1)
    return (
        last.group_by("activity")
        .aggregate(cases=last.count())
        .order_by([ibis.desc("cases"), "activity"])
    )


def case_variants(log: ir.Table) -> ir.Table:
    """The variant of each case: ``case_id, variant, events`` (activities joined by ``,``).

    The activities are collected as (position, activity) pairs and sorted in the engine,
    which works where ordered string aggregation does not (Spark).
    """
    pairs = log.group_by("case_id").aggregate(
        _steps=ibis.struct({"position": log.position, "activity": log.activity}).collect(),
        events=log.count(),
    )
    variant = pairs._steps.sort().map(lambda step: step.activity).join(VARIANT_SEPARATOR)
    return pairs.select("case_id", variant=variant, events=pairs.events)


def activity_codes(log: ir.Table) -> ir.Table:
    """A dense integer code for each activity of ``log``: ``activity, code, activities``.

    ``code`` runs from 0 in activity-name order; ``activities`` (the same on every row) is
    the number of distinct activities. Lists of small integers are much cheaper for the
    engines to collect, sort and group than lists of strings.

    Examples
    --------
    >>> import ibis
    >>> log = ibis.memtable({"activity": ["Ward", "ED", "Ward"]})
    >>> activity_codes(log).order_by("code").execute().values.tolist()
    [['ED', 0, 2], ['Ward', 1, 2]]
    """
    names = log.select("activity").distinct()
    return names.select(
        "activity",
        code=ibis.row_number().over(ibis.window(order_by=names.activity)).cast(dt.int64),
        activities=names.count().over(ibis.window()).cast(dt.int64),
    )


SLOT_BITS = 5
"""Bits of one step in a packed case key: a step is stored as its activity code + 1 (0: no step)."""
SLOTS = 12
"""Steps packed in one int64 key (``SLOTS * SLOT_BITS`` = 60 bits, below the sign bit)."""
_PACKABLE = (1 << SLOT_BITS) - 1
_LOW_32 = (1 << 32) - 1
_BIGINT = dt.Int64(nullable=False)
"""A cast that ibis always writes: Spark's ``row_number`` is a 32-bit INT that ibis takes for
int64 (so a plain int64 cast is left out), and shifting a 32-bit INT wraps around."""


def _frequency_codes(log: ir.Table) -> ir.Table:
    """``activity, code, _slot``: dense codes from 0, the most frequent activity first (then by
    name), and the value that stands for the activity in a packed key (``code + 1``, or 0 when
    the code does not fit in :data:`SLOT_BITS` bits). Frequent activities get the small codes,
    so the packable ones cover as many events as possible."""
    counts = log.group_by("activity").aggregate(_events=log.count())
    order = ibis.window(order_by=[ibis.desc(counts._events), counts.activity])
    codes = counts.select("activity", code=ibis.row_number().over(order).cast(_BIGINT))
    return codes.mutate(_slot=ibis.ifelse(codes.code < _PACKABLE, codes.code + 1, 0))


def _coded_variants(log: ir.Table) -> ir.Table:
    """``variant, cases, events`` computed on integer case keys (one pass over the log).

    A case is summarised in one aggregation, without sorting its events: its first
    :data:`SLOTS` steps are packed into one integer (the sum of ``(code + 1) << (position *
    SLOT_BITS)``, for the 31 most frequent activities), and only the steps that do not fit (a
    later position, a rarer activity) are collected as ``position << 32 | code`` — none for
    most hospital stays. ``(packed, rest)`` spells the case's variant exactly; cases are
    grouped by it and only the distinct keys (a few hundred, even for a million events) are
    decoded back to activity names, with list functions on each key. Decoded variants are
    summed once more so that gaps in ``position`` (a log filtered without
    :func:`~hopia.pathways._log.renumber`) cannot split a variant. Exact for positions below
    2**31, unique within a case (as :func:`~hopia.pathways._log.order_events` and ``renumber``
    make them), and fewer than 2**31 activities.
    """
    codes = _frequency_codes(log)
    coded = log.select("case_id", "activity", "position").join(codes, "activity")
    position = coded.position.cast(_BIGINT)
    early = position < SLOTS
    per_case = coded.group_by("case_id").aggregate(
        _packed=ibis.ifelse(early, coded._slot << (position * SLOT_BITS), 0).sum(),
        _rest=((position << 32) + coded.code).collect(where=~early | (coded._slot == 0)),
    )
    rest = per_case._rest  # sorted only where there is something to sort (few cases)
    per_case = per_case.mutate(_rest=ibis.ifelse(rest.length() > 1, rest.sort(), rest))
    counted = per_case.group_by(["_packed", "_rest"]).aggregate(cases=per_case.count())
    pairs = codes.aggregate(
        _pairs=ibis.struct({"code": codes.code, "activity": codes.activity}).collect()
    )
    names = pairs.select(_names=pairs._pairs.sort().map(lambda pair: pair.activity))
    counted = counted.cross_join(names)
    # each packed slot back to a step key (slot << 32 | code); an empty slot gives code -1
    packed = ibis.range(0, SLOTS).map(
        lambda at: (
            (at.cast(_BIGINT) << 32) + ((counted._packed >> (at * SLOT_BITS)) & _PACKABLE) - 1
        )
    )
    packed = packed.filter(lambda key: (key & _LOW_32) != _LOW_32)
    rest = ibis.coalesce(counted._rest, ibis.literal([], type=dt.Array(dt.int64)))
    steps = packed.concat(rest).sort()
    decoded = counted.select(
        "cases",
        events=steps.length(),
        variant=steps.map(lambda key: counted._names[(key & _LOW_32).cast(dt.int32)]).join(
            VARIANT_SEPARATOR
        ),
    )
    return decoded.group_by("variant").aggregate(
        cases=decoded.cases.sum().cast(dt.int64), events=decoded.events.max().cast(dt.int64)
    )


def variants(log: ir.Table) -> ir.Table:
    """Variants with their number of cases and cumulative coverage.

    The work is one pass over the log: each case is summarised by an integer key (its first
    steps packed, the rest as a short sorted list), cases are grouped by that key, and only
    the distinct variants are spelt out. Activities must not be null.

    Returns
    -------
    ibis.expr.types.Table
        ``variant, cases, events, share, coverage`` ordered by decreasing ``cases`` (then
        variant); ``coverage`` is the cumulative share of cases up to this variant.
    """
    counts = _coded_variants(log)
    total = counts.cases.sum().over(ibis.window())
    ordering = [ibis.desc(counts.cases), counts.variant]
    running = counts.cases.sum().over(ibis.window(order_by=ordering, rows=(None, 0)))
    result = counts.mutate(
        share=counts.cases.cast(dt.float64) / total,
        coverage=running.cast(dt.float64) / total,
    )
    return result.order_by([ibis.desc("cases"), "variant"])


def variant_directly_follows(variant_table: ir.Table) -> ir.Table:
    """Directly-follows counts from a variants table (``variant, cases``), without the events.

    A frequency DFG depends only on the variants and their number of cases: each pair of
    consecutive activities of a variant counts once per case of that variant. Computing the
    variants once and the map from them scans the log once (``variants(log).cache()``).
    Activity names must not contain ``,`` (the variant separator).

    Returns
    -------
    ibis.expr.types.Table
        ``source, target, count, cases``, the same counts as :func:`directly_follows`.

    Examples
    --------
    >>> import ibis
    >>> v = ibis.memtable({"variant": ["ED,Ward,ED,Ward", "ED"], "cases": [3, 5]})
    >>> variant_directly_follows(v).execute().values.tolist()
    [['ED', 'Ward', 6, 3], ['Ward', 'ED', 3, 3]]
    """
    steps = variant_table.mutate(_path=variant_table.variant.split(VARIANT_SEPARATOR))
    steps = steps.mutate(_at=ibis.range(0, steps._path.length() - 1).unnest())
    steps = steps.select(
        "variant",
        "cases",
        source=steps._path[steps._at],
        target=steps._path[steps._at + 1],
    )
    per_variant = steps.group_by(["variant", "source", "target"]).aggregate(
        times=steps.count(), cases=steps.cases.max()
    )
    edges = per_variant.group_by(["source", "target"]).aggregate(
        count=(per_variant.times * per_variant.cases).sum().cast(dt.int64),
        cases=per_variant.cases.sum().cast(dt.int64),
    )
    return edges.order_by(["source", "target"])


def log_summary(log: ir.Table) -> dict[str, object]:
    """Cases, events, activities, variants and DFG edges of a log, and its time range.

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> from hopia.pathways._log import order_events
    >>> log = order_events(ibis.memtable({"case_id": ["A"], "activity": ["x"],
    ...                                   "time": [dt.datetime(2024, 1, 1)], "source_row": [0]}))
    >>> log_summary(log)["cases"]
    1
    """
    figures = (
        log.aggregate(
            cases=log.case_id.nunique(),
            events=log.count(),
            activities=log.activity.nunique(),
            first=log.time.min(),
            last=log.time.max(),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    per_case = case_variants(log)
    figures["variants"] = per_case.variant.nunique().to_pyarrow().as_py()
    steps = _steps(log)
    figures["dfg_edges"] = steps.select("source", "target").distinct().count().to_pyarrow().as_py()
    return figures
