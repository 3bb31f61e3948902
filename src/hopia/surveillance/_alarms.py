"""Surveillance of a warehouse in one call: every syndrome × stratum, and the open alarms.

:func:`syndromic_detection` counts emergency visits per syndrome (overall, ``age_band ==
"all"``, per age band, and on request per commune and per emergency unit), runs one detection method on all those series at once and
returns them with their upper bound and alarms. :func:`current_alarms` keeps the alarms of
the last periods: what a hospital's dashboard (and ``hopia demo``) lists as open alarms.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"syndrome": ["ili"] * 3, "age_band": ["all"] * 3,
...     "date": pd.date_range("2025-01-06", periods=3, freq="7D").date,
...     "observed": [3, 4, 30], "upperbound": [float("nan"), 9.0, 9.5],
...     "alarm": [float("nan"), 0.0, 1.0]})
>>> open_alarms(table, last=2)[["syndrome", "observed"]].to_dict("records")
[{'syndrome': 'ili', 'observed': 30}]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hopia.surveillance._detect import METHODS, detect
from hopia.surveillance._series import (
    FREQUENCIES,
    STRATA,
    age_band_labels,
    syndromic_counts,
)

if TYPE_CHECKING:
    import pandas as pd

    from hopia.warehouse import Warehouse

ALARM_COLUMNS = ["syndrome", "age_band", "period", "observed", "upperbound"]
"""Columns of :func:`current_alarms`."""


def detection_table(counts: pd.DataFrame, method: str, freq: str) -> pd.DataFrame:
    """Run ``method`` on every series of a long count table, all series in one batch.

    Parameters
    ----------
    counts : ``syndrome, [age_band, commune, unit,] date, observed`` with the same dates for
        every series (as :func:`syndromic_counts` returns them); a series is one
        combination of the syndrome and the strata columns present.
    method : one of :data:`METHODS`.
    freq : ``"day"`` or ``"week"`` (the frequency given to the method: 365 or 52).

    Returns
    -------
    pandas.DataFrame
        The input with ``upperbound`` and ``alarm`` (1/0, NaN where not monitored).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    series = ["syndrome", *[c for c in STRATA if c in counts.columns]]
    table = counts.sort_values([*series, "date"], kind="stable").reset_index(drop=True)
    n_series = len(table[series].drop_duplicates())
    if n_series == 0:
        return table.assign(upperbound=np.nan, alarm=np.nan)
    length = len(table) // n_series
    if length * n_series != len(table):
        raise ValueError(f"every {' × '.join(series)} series must cover the same periods")
    observed = table["observed"].to_numpy(float).reshape(n_series, length)
    result = detect(observed, method, frequency=FREQUENCIES[freq])
    return table.assign(upperbound=result.upperbound.ravel(), alarm=result.alarm.ravel())


def syndromic_detection(
    wh: Warehouse,
    *,
    method: str = "ears-c2",
    freq: str = "day",
    syndromes: list[str] | None = None,
    by_age: bool = True,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Counts, upper bound and alarms of every syndrome: overall and per stratum.

    Parameters
    ----------
    wh : the warehouse.
    method : one of :data:`METHODS`.
    freq : ``"day"`` or ``"week"``.
    syndromes : names (default: all shipped syndromes).
    by_age : add one series per age band to the overall one (``age_band == "all"``).
    by : more strata (``"commune"``, ``"unit"``, see :data:`STRATA`). Every combination of
        the strata asked for is monitored — with two strata, each one alone and their
        crossing — and ``"all"`` marks a stratum that a series does not split by.

    Returns
    -------
    pandas.DataFrame
        ``syndrome, age_band, [commune, unit,] date, observed, visits, upperbound, alarm``.

    Examples
    --------
    >>> table = syndromic_detection(wh, freq="week", by=["unit"])  # doctest: +SKIP
    >>> sorted(table["unit"].unique())  # doctest: +SKIP
    ['URG', 'all']
    """
    import pandas as pd

    strata = ["age_band", *[c for c in STRATA if c in set(by) - {"age_band"}]]
    asked = [c for c in strata if c != "age_band" or by_age or "age_band" in by]
    overall = syndromic_counts(wh, syndromes, freq=freq)
    if overall.empty:
        return detection_table(overall.assign(**dict.fromkeys(strata, "all")), method, freq)
    dates = sorted(overall["date"].unique())
    parts = [overall.assign(**dict.fromkeys(strata, "all"))]
    for size in range(1, len(asked) + 1):
        for split in itertools.combinations(asked, size):
            part = syndromic_counts(wh, syndromes, freq=freq, by=split)
            # The overall calendar, and every level seen (zeros where none came), so that
            # all series run in one batch.
            levels = [_levels(part, column) for column in split]
            index = pd.MultiIndex.from_product(
                [overall["syndrome"].unique(), *levels, dates],
                names=["syndrome", *split, "date"],
            )
            part = part.set_index(["syndrome", *split, "date"]).reindex(index, fill_value=0)
            rest = {c: "all" for c in strata if c not in split}
            parts.append(part.reset_index().assign(**rest))
    counts = pd.concat(parts, ignore_index=True)
    columns = ["syndrome", *strata, "date", "observed", "visits"]
    return detection_table(counts[columns], method, freq)


def _levels(part: pd.DataFrame, column: str) -> list[str]:
    """The values of one stratum, age bands in their natural order (all of them)."""
    seen = list(dict.fromkeys(part[column]))
    if column != "age_band":
        return sorted(seen)
    labels = age_band_labels()
    return labels + [b for b in seen if b not in labels]


def open_alarms(table: pd.DataFrame, *, last: int = 7) -> pd.DataFrame:
    """The alarms raised in the last ``last`` periods of a :func:`syndromic_detection` table.

    Returns
    -------
    pandas.DataFrame
        ``syndrome, age_band, [commune, unit,] period, observed, upperbound``, latest first.
    """
    import pandas as pd

    strata = [c for c in STRATA if c in table.columns]
    columns = ["syndrome", *strata, "period", "observed", "upperbound"]
    if table.empty:
        return pd.DataFrame(columns=columns if strata else ALARM_COLUMNS)
    periods = sorted(table["date"].unique())[-last:]
    recent = table[table["date"].isin(periods) & (table["alarm"] == 1.0)]
    out = recent.rename(columns={"date": "period"})[columns]
    order = ["period", "syndrome", *strata]
    ascending = [False] + [True] * (len(order) - 1)
    return out.sort_values(order, ascending=ascending).reset_index(drop=True)


def current_alarms(
    wh: Warehouse,
    *,
    method: str = "ears-c2",
    freq: str = "day",
    last: int = 7,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Alarms of the last ``last`` periods, for every syndrome, overall and per age band.

    Parameters
    ----------
    wh : the warehouse.
    method : detection method (one of :data:`METHODS`; default EARS C2).
    freq : ``"day"`` or ``"week"``.
    last : how many of the latest periods count as "current".
    by : more strata than the age band (``"commune"``, ``"unit"``).

    Returns
    -------
    pandas.DataFrame
        ``syndrome, age_band, [commune, unit,] period, observed, upperbound``; ``"all"`` in
        every stratum is the syndrome's overall series.

    Examples
    --------
    >>> from hopia.warehouse import open_warehouse
    >>> alarms = current_alarms(open_warehouse(), last=14)  # doctest: +SKIP
    """
    if last < 1:
        raise ValueError("last must be >= 1")
    return open_alarms(syndromic_detection(wh, method=method, freq=freq, by=by), last=last)
