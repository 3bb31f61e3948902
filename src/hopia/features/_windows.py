"""Windowed aggregates per (label row, code): one grouping in the engine, windows in NumPy.

The naive plan — one row per (label row, event) and one filtered aggregate per (aggregate,
window) — evaluates every slot on every joined row. Here each joined row is put in the
*age bucket* between two consecutive windows (``[0, 24h)``, ``[24h, 7d)``, ``[7d, 365d)``,
``[365d, ∞)`` for the default spec) and summarised once per bucket with a few plain
aggregates (counts, sum, min, max, mean time, within-bucket co-moments, and the largest
``(time, value)`` pair, whose value is the ``last`` one: ties in time go to the larger
value on every backend). Every window is a union of buckets: ``_assemble.py`` combines the
bucket lines into slots with NumPy; ``by_bucket=False`` does it in the engine with a second
grouping (the reference form, kept for tests). The least-squares slope of a window combines
its buckets' co-moments exactly (the parallel form of the covariance).

Worked example (``tests/features``): heart rate 100 at −48 h, 80 at −2 h and 90 at −1 h.
Bucket ``[0, 24h)`` holds x = −2, −1 (n 2, mean x −1.5, mean y 85, co-moment 5, x moment
0.5); bucket ``[24h, 7d)`` holds x = −48. The 7-day window joins both: N = 3, co-moment
5 + (2·(−1.5)·85 + (−48)·100) − 3·(−17)·90 = −460, x moment 0.5 + 2308.5 − 867 = 1442,
slope −460/1442 per hour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import ibis.expr.datatypes as dt

from hopia.tasks._cohort import seen_at

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from hopia.features._spec import FeatureSpec

DAY = ibis.interval(days=1)


def visible_from(time: ir.TimestampValue, date_only: ir.BooleanValue) -> ir.TimestampValue:
    """The first index time at which an event is known: its time, or for a date-only event
    (time at midnight) the next midnight — the same rule as :func:`seen_at`."""
    return ibis.ifelse(date_only, time.truncate("D") + DAY, time)


def common_codes(events: ir.Table, keys: ir.Table, min_persons: int) -> ir.Table:
    """``code``: the codes that at least ``min_persons`` persons of ``keys`` have before one of
    their index times (the current stay's own visit event does not count).

    One pass over the events: the first visible time of each (person, code) — of each
    (person, code, stay) for visit events, which the own-stay rule concerns — is compared
    with the person's index times (a person has a handful of them). Reading the events once
    keeps the engine from materialising the whole events view for two readers.
    """
    stay = ibis.ifelse(events.domain == "visit", events.visit_occurrence_id, ibis.null(dt.int64))
    first = events.group_by("person_id", "code", stay=stay).aggregate(
        first_time=visible_from(events.time, events.date_only).min()
    )
    k = keys.select(key_person="person_id", key_visit="visit_occurrence_id", key_time="index_time")
    pairs = first.inner_join(k, first.person_id == k.key_person)
    pairs = pairs.filter(
        (pairs.first_time <= pairs.key_time) & (pairs.stay != pairs.key_visit).fill_null(True)
    )
    pairs = pairs.select("person_id", "code").distinct()
    counts = pairs.group_by("code").aggregate(persons=pairs.count())
    return counts.filter(counts.persons >= min_persons).select("code")


def window_aggregates(
    events: ir.Table,
    keys: ir.Table,
    spec: FeatureSpec,
    slots: list[tuple[str, str]],
    *,
    by_bucket: bool = True,
) -> ir.Table:
    """The engine's part of the code features of every label row.

    ``events`` are the events to use (codes already chosen); ``keys`` has ``row, person_id,
    visit_occurrence_id, index_time``.

    With ``by_bucket`` (the default): ``row, code, bucket`` and the plain aggregates of the
    events of that age bucket (:data:`BUCKET_COLUMNS`); :func:`~hopia.features._assemble.assemble`
    combines a row's buckets into the windows' slots with NumPy (a few array operations
    instead of a second, wide grouping in the engine). Otherwise ``row, code, s0, s1, …``:
    one column per slot of ``slots`` (null where it has no value), combined in the engine.
    Both give the same matrix.
    """
    windows = spec.window_seconds()
    finite = sorted({s for s in windows.values() if s is not None})
    per_bucket = _bucket_aggregates(events, keys, spec, finite)
    if by_bucket:
        return per_bucket.select(
            "row", "code", "bucket", *BUCKET_COLUMNS[:-1], last_value=per_bucket.latest["value"]
        )
    metrics, slopes = _slot_metrics(per_bucket, slots, windows, finite)
    grouped = per_bucket.group_by("row", "code").aggregate(**metrics)
    if slopes:
        grouped = grouped.mutate(**_slopes(grouped, slots, windows, finite))
    if any(agg == "last" for agg, _ in slots):
        grouped = _with_last(grouped, events, keys, slots, windows, list(spec.value_domains))
    return grouped.select("row", "code", *(f"s{i}" for i in range(len(slots))))


BUCKET_COLUMNS = (
    "n_count",
    "n_value",
    "sum_value",
    "min_value",
    "max_value",
    "mean_hours",
    "co_moment",
    "hours_moment",
    "min_age",
    "last_value",
)
"""Per (row, code, age bucket): events counted, values, their sum, min and max, mean time
(hours, negative), co-moment of time and value and moment of time (population moments times
the number of values), age of the latest event (seconds), and the last value (the largest
value at the bucket's latest valued time)."""


def _bucket_aggregates(
    events: ir.Table, keys: ir.Table, spec: FeatureSpec, finite: list[int]
) -> ir.Table:
    """``row, code, bucket`` and the plain aggregates of the events seen in that age bucket,
    plus ``last_time`` (the latest valued time) and ``latest``: the largest ``(time, value)``
    pair, i.e. the largest value at the latest valued time — the ``last`` value, found
    without a second pass over the events."""
    k = keys.select(
        "row", key_person="person_id", key_visit="visit_occurrence_id", key_time="index_time"
    )
    # the inequality (implied by the leakage rule) drops later events inside the join
    joined = k.inner_join(events, (k.key_person == events.person_id) & (events.time <= k.key_time))
    own_visit = (
        (joined.domain == "visit") & (joined.visit_occurrence_id == joined.key_visit)
    ).fill_null(False)
    joined = joined.filter(seen_at(joined.time, joined.date_only, joined.key_time) & ~own_visit)
    age = (joined.key_time.epoch_seconds() - joined.time.epoch_seconds()).cast(dt.float64)
    valued = joined.domain.isin(list(spec.value_domains)) & joined.value.notnull()
    value = ibis.ifelse(valued, joined.value, ibis.null(dt.float64))
    hours = -age / 3600.0
    bucket = (
        ibis.cases(*((age < s, i) for i, s in enumerate(finite)), else_=len(finite))
        if finite
        else ibis.literal(0)
    )
    joined = joined.select(
        "row",
        "code",
        "time",
        bucket=bucket.cast(dt.int8),
        age=age,
        value=value,
        hours=ibis.ifelse(valued, hours, ibis.null(dt.float64)),
        counted=joined.domain.isin(list(spec.count_domains)).cast(dt.float64),
    )
    has_value = joined.value.notnull()
    # counts as doubles: sums of integers become 128-bit in DuckDB, which is slow to add up
    return joined.group_by("row", "code", "bucket").aggregate(
        n_count=joined.counted.sum(),
        n_value=joined.value.count().cast(dt.float64),
        sum_value=joined.value.sum(),
        min_value=joined.value.min(),
        max_value=joined.value.max(),
        mean_hours=joined.hours.mean(),
        co_moment=joined.hours.cov(joined.value, how="pop") * joined.value.count(),
        hours_moment=joined.hours.var(how="pop") * joined.value.count(),
        min_age=joined.age.min(),
        last_time=joined.time.max(where=has_value),
        latest=ibis.struct({"time": joined.time, "value": joined.value}).max(where=has_value),
    )


def _slot_metrics(
    b: ir.Table,
    slots: list[tuple[str, str]],
    windows: dict[str, int | None],
    finite: list[int],
) -> tuple[dict[str, ir.Value], bool]:
    """The slot aggregates over the bucket lines of one (row, code).

    Slope slots are left to :func:`_slopes`, which needs the per-bucket moments added here
    as columns (``n_j, x_j, y_j, c_j, m_j``); ``last`` slots get the latest valued time
    (``last_time``) and are filled in by :func:`_with_last`.
    """
    metrics: dict[str, ir.Value] = {}
    n_value = b.n_value.fill_null(0.0)

    def only(value: ir.Value, where: ir.BooleanValue | None) -> ir.Value:
        # CASE inside a plain aggregate: DuckDB runs it faster than a FILTER clause
        return value if where is None else ibis.ifelse(where, value, ibis.null(value.type()))

    for i, (agg, label) in enumerate(slots):
        seconds = windows.get(label)
        inside = b.bucket < finite.index(seconds) + 1 if seconds is not None else None
        name = f"s{i}"
        if agg == "count":
            metrics[name] = only(b.n_count, inside).sum().nullif(0.0)
        elif agg == "mean":
            metrics[name] = only(b.sum_value, inside).sum() / only(n_value, inside).sum().nullif(
                0.0
            )
        elif agg == "min":
            metrics[name] = only(b.min_value, inside).min()
        elif agg == "max":
            metrics[name] = only(b.max_value, inside).max()
        elif agg == "hours_since_last":
            metrics[name] = b.min_age.min() / 3600.0
    slopes = any(agg == "slope" for agg, _ in slots)
    if slopes:
        mean_value = b.sum_value / n_value.nullif(0.0)
        for j in range(len(finite) + 1):
            here = b.bucket == j
            metrics[f"n_{j}"] = only(n_value, here).max().fill_null(0.0)
            metrics[f"x_{j}"] = only(b.mean_hours, here).max().fill_null(0.0)
            metrics[f"y_{j}"] = only(mean_value, here).max().fill_null(0.0)
            metrics[f"c_{j}"] = only(b.co_moment, here).max().fill_null(0.0)
            metrics[f"m_{j}"] = only(b.hours_moment, here).max().fill_null(0.0)
    metrics["last_time"] = b.last_time.max()
    return metrics, slopes


def _slopes(
    t: ir.Table,
    slots: list[tuple[str, str]],
    windows: dict[str, int | None],
    finite: list[int],
) -> dict[str, ir.Value]:
    """Least-squares slope of each window from its buckets' moments.

    Pairwise form of the co-moment (Chan, Golub and LeVeque): ``C = Σ C_b +
    Σ_{a<b} n_a·n_b·(x̄_a − x̄_b)·(ȳ_a − ȳ_b) / N``, and likewise ``M`` for the times. Only
    differences of bucket means enter, so constant values give exactly no trend and a
    single time gives no slope (``M = 0``).
    """
    out: dict[str, ir.Value] = {}
    for i, (agg, label) in enumerate(slots):
        if agg != "slope":
            continue
        seconds = windows.get(label)
        used = range(finite.index(seconds) + 1 if seconds is not None else len(finite) + 1)
        n, c, m = ibis.literal(0.0), ibis.literal(0.0), ibis.literal(0.0)
        between_c, between_m = ibis.literal(0.0), ibis.literal(0.0)
        for a in used:
            n, c, m = n + t[f"n_{a}"], c + t[f"c_{a}"], m + t[f"m_{a}"]
            for z in used:
                if a < z:
                    weight = t[f"n_{a}"] * t[f"n_{z}"]
                    dx = t[f"x_{a}"] - t[f"x_{z}"]
                    between_c = between_c + weight * dx * (t[f"y_{a}"] - t[f"y_{z}"])
                    between_m = between_m + weight * dx * dx
        n = n.nullif(0.0)
        out[f"s{i}"] = (c + between_c / n) / (m + between_m / n).nullif(0.0)
    return out


def _with_last(
    grouped: ir.Table,
    events: ir.Table,
    keys: ir.Table,
    slots: list[tuple[str, str]],
    windows: dict[str, int | None],
    value_domains: list[str],
) -> ir.Table:
    """Fill the ``last`` slots: the largest value among the events seen at the latest valued
    time, shown in a window when that time is inside it."""
    k = keys.select(last_row="row", last_person="person_id", last_index="index_time")
    wanted = grouped.filter(grouped.last_time.notnull()).select(
        want_row="row", want_code="code", want_time="last_time"
    )
    wanted = wanted.inner_join(k, wanted.want_row == k.last_row)
    valued = events.filter(events.domain.isin(list(value_domains)) & events.value.notnull())
    hits = wanted.inner_join(
        valued,
        (wanted.last_person == valued.person_id)
        & (wanted.want_code == valued.code)
        & (wanted.want_time == valued.time),
    )
    hits = hits.filter(seen_at(hits.time, hits.date_only, hits.last_index))
    last = hits.group_by("want_row", "want_code").aggregate(
        last_value=hits.value.max(),
        last_age=(hits.last_index.epoch_seconds() - hits.want_time.epoch_seconds())
        .cast(dt.float64)
        .max(),
    )
    out = grouped.left_join(last, (grouped.row == last.want_row) & (grouped.code == last.want_code))
    fills = {}
    for i, (agg, label) in enumerate(slots):
        if agg == "last":
            seconds = windows.get(label)
            inside = ibis.literal(True) if seconds is None else out.last_age < seconds
            fills[f"s{i}"] = ibis.ifelse(inside, out.last_value, ibis.null(dt.float64))
    return out.mutate(**fills)
