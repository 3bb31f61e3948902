"""Surveillance of a warehouse in one call: every syndrome × age band, and the open alarms.

:func:`syndromic_detection` counts emergency visits per syndrome (overall, ``age_band ==
"all"``, and per age band), runs one detection method on all those series at once and
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

from typing import TYPE_CHECKING

import numpy as np

from hopia.surveillance._detect import METHODS, detect
from hopia.surveillance._series import FREQUENCIES, age_band_labels, syndromic_counts

if TYPE_CHECKING:
    import pandas as pd

    from hopia.warehouse import Warehouse

ALARM_COLUMNS = ["syndrome", "age_band", "period", "observed", "upperbound"]
"""Columns of :func:`current_alarms`."""


def detection_table(counts: pd.DataFrame, method: str, freq: str) -> pd.DataFrame:
    """Run ``method`` on every ``syndrome × age_band`` series of a long count table.

    Parameters
    ----------
    counts : ``syndrome, age_band, date, observed`` with the same dates for every series
        (as :func:`syndromic_counts` returns them).
    method : one of :data:`METHODS`.
    freq : ``"day"`` or ``"week"`` (the frequency given to the method: 365 or 52).

    Returns
    -------
    pandas.DataFrame
        The input with ``upperbound`` and ``alarm`` (1/0, NaN where not monitored).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    table = counts.sort_values(["syndrome", "age_band", "date"], kind="stable")
    table = table.reset_index(drop=True)
    keys = table[["syndrome", "age_band"]].drop_duplicates()
    n_series = len(keys)
    if n_series == 0:
        return table.assign(upperbound=np.nan, alarm=np.nan)
    length = len(table) // n_series
    if length * n_series != len(table):
        raise ValueError("every syndrome × age band series must cover the same periods")
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
) -> pd.DataFrame:
    """Counts, upper bound and alarms of every syndrome (overall and per age band).

    Parameters
    ----------
    wh : the warehouse.
    method : one of :data:`METHODS`.
    freq : ``"day"`` or ``"week"``.
    syndromes : names (default: all shipped syndromes).
    by_age : add one series per age band to the overall one (``age_band == "all"``).

    Returns
    -------
    pandas.DataFrame
        ``syndrome, age_band, date, observed, visits, upperbound, alarm``.
    """
    import pandas as pd

    overall = syndromic_counts(wh, syndromes, freq=freq).assign(age_band="all")
    parts = [overall]
    if by_age and not overall.empty:
        banded = syndromic_counts(wh, syndromes, freq=freq, by_age=True)
        # Same calendar as the overall series, and every age band (zeros where none came),
        # so that all series run in one batch.
        labels = age_band_labels()
        bands = labels + [b for b in banded["age_band"].unique() if b not in labels]
        calendar = pd.MultiIndex.from_product(
            [overall["syndrome"].unique(), bands, sorted(overall["date"].unique())],
            names=["syndrome", "age_band", "date"],
        )
        banded = (
            banded.set_index(["syndrome", "age_band", "date"])
            .reindex(calendar, fill_value=0)
            .reset_index()
        )
        parts.append(banded)
    counts = pd.concat(parts, ignore_index=True)
    columns = ["syndrome", "age_band", "date", "observed", "visits"]
    return detection_table(counts[columns], method, freq)


def open_alarms(table: pd.DataFrame, *, last: int = 7) -> pd.DataFrame:
    """The alarms raised in the last ``last`` periods of a :func:`syndromic_detection` table.

    Returns
    -------
    pandas.DataFrame
        ``syndrome, age_band, period, observed, upperbound``, latest first.
    """
    import pandas as pd

    if table.empty:
        return pd.DataFrame(columns=ALARM_COLUMNS)
    periods = sorted(table["date"].unique())[-last:]
    recent = table[table["date"].isin(periods) & (table["alarm"] == 1.0)]
    out = recent.rename(columns={"date": "period"})[ALARM_COLUMNS]
    order = ["period", "syndrome", "age_band"]
    return out.sort_values(order, ascending=[False, True, True]).reset_index(drop=True)


def current_alarms(
    wh: Warehouse, *, method: str = "ears-c2", freq: str = "day", last: int = 7
) -> pd.DataFrame:
    """Alarms of the last ``last`` periods, for every syndrome, overall and per age band.

    Parameters
    ----------
    wh : the warehouse.
    method : detection method (one of :data:`METHODS`; default EARS C2).
    freq : ``"day"`` or ``"week"``.
    last : how many of the latest periods count as "current".

    Returns
    -------
    pandas.DataFrame
        ``syndrome, age_band, period, observed, upperbound``; ``age_band == "all"`` is the
        syndrome's overall series.

    Examples
    --------
    >>> from hopia.warehouse import open_warehouse
    >>> alarms = current_alarms(open_warehouse(), last=14)  # doctest: +SKIP
    """
    if last < 1:
        raise ValueError("last must be >= 1")
    return open_alarms(syndromic_detection(wh, method=method, freq=freq), last=last)
