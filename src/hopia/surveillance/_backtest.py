"""Backtests: how well a detection method finds known outbreaks in a series.

Given a series of counts (one row per day or week) with alarms, and the true outbreak
periods (``synth_truth.outbreaks``: ``syndrome, start_date, end_date``), a period is *in an
outbreak* when it overlaps one. Over the monitored periods:

* probability of detection (POD) — share of outbreaks with at least one alarm between their
  start and their end;
* false-positive rate (FPR) — share of monitored periods outside every outbreak that raised
  an alarm;
* days to detection — from an outbreak's start to the day its first alarm could be known
  (the last day of the alarmed period), for the detected outbreaks;
* positive predictive value (PPV) — share of alarms raised inside an outbreak.

Examples
--------
>>> import pandas as pd
>>> dates = pd.date_range("2024-01-01", periods=10, freq="D").date
>>> alarm = [0, 0, 0, 1, 1, 0, 0, 0, 1, 0]
>>> truth = pd.DataFrame({"start_date": [dates[2]], "end_date": [dates[5]]})
>>> score = score_alarms(dates, alarm, truth, freq="day")
>>> score.detected, score.false_positive_rate, score.days_to_detection, score.ppv
(1, 0.1667, [1], 0.6667)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

PERIOD_DAYS = {"day": 1, "week": 7}


@dataclass
class BacktestScore:
    """Detection performance of one method on one series."""

    outbreaks: int
    detected: int
    monitored_periods: int
    alarms: int
    true_alarms: int
    false_positive_rate: float
    ppv: float
    days_to_detection: list[int] = field(default_factory=list)

    @property
    def pod(self) -> float:
        """Probability of detection (NaN without outbreaks)."""
        return round(self.detected / self.outbreaks, 4) if self.outbreaks else float("nan")

    @property
    def median_days_to_detection(self) -> float:
        """Median delay of the detected outbreaks (NaN if none)."""
        return float(np.median(self.days_to_detection)) if self.days_to_detection else float("nan")

    def as_dict(self) -> dict[str, float | int]:
        """Flat figures for a report row."""
        return {
            "outbreaks": self.outbreaks,
            "detected": self.detected,
            "pod": self.pod,
            "false_positive_rate": self.false_positive_rate,
            "ppv": self.ppv,
            "median_days_to_detection": self.median_days_to_detection,
            "alarms": self.alarms,
            "monitored_periods": self.monitored_periods,
        }


def _as_date(value: object) -> date:
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def score_alarms(dates: Any, alarm: Any, truth: Any, *, freq: str = "week") -> BacktestScore:
    """Score alarms (1/0/NaN per period, NaN = not monitored) against true outbreak periods.

    Parameters
    ----------
    dates : first day of each period, in order.
    alarm : alarm per period (1, 0, or NaN where not monitored).
    truth : table with ``start_date`` and ``end_date`` (inclusive), one row per outbreak
        (already restricted to the syndrome of the series).
    freq : ``"day"`` or ``"week"``.

    Returns
    -------
    BacktestScore
    """
    length = PERIOD_DAYS[freq]
    starts = [_as_date(d) for d in dates]
    ends = [d + timedelta(days=length - 1) for d in starts]
    flags = np.asarray(alarm, dtype=float)
    monitored = ~np.isnan(flags)
    raised = monitored & (flags == 1.0)
    inside = np.zeros(len(starts), dtype=bool)
    outbreaks = 0
    detected = 0
    delays: list[int] = []
    first_monitored = starts[int(np.argmax(monitored))] if monitored.any() else None
    for start_value, end_value in zip(truth["start_date"], truth["end_date"], strict=True):
        start, end = _as_date(start_value), _as_date(end_value)
        overlap = np.array(
            [s <= end and e >= start for s, e in zip(starts, ends, strict=True)], dtype=bool
        )
        inside |= overlap
        # Only outbreaks that the monitored range covers count.
        if first_monitored is None or end < first_monitored or not (overlap & monitored).any():
            continue
        outbreaks += 1
        hits = np.flatnonzero(overlap & raised)
        if hits.size:
            detected += 1
            delays.append((ends[hits[0]] - start).days)
    quiet = monitored & ~inside
    fpr = float(raised[quiet].mean()) if quiet.any() else float("nan")
    n_alarms = int(raised.sum())
    true_alarms = int((raised & inside).sum())
    return BacktestScore(
        outbreaks=outbreaks,
        detected=detected,
        monitored_periods=int(monitored.sum()),
        alarms=n_alarms,
        true_alarms=true_alarms,
        false_positive_rate=round(fpr, 4),
        ppv=round(true_alarms / n_alarms, 4) if n_alarms else float("nan"),
        days_to_detection=delays,
    )


def backtest(
    counts: Any,
    truth: Any,
    *,
    method: str = "ears-c3",
    freq: str = "week",
    alpha: float | None = None,
    **options: object,
) -> pd.DataFrame:
    """Run ``method`` on every series of ``counts`` and score it against ``truth``.

    Parameters
    ----------
    counts : long table from :func:`~hopia.surveillance._series.syndromic_counts`
        (``syndrome, [age_band,] date, observed``).
    truth : ``synth_truth.outbreaks``-like table (``syndrome, start_date, end_date``).
    method, alpha, options : passed to :func:`~hopia.surveillance.detect`.
    freq : ``"day"`` or ``"week"``.

    Returns
    -------
    pandas.DataFrame
        One row per series: ``syndrome, [age_band,]`` then the figures of
        :meth:`BacktestScore.as_dict`.
    """
    import pandas as pd

    from hopia.surveillance._detect import detect

    table = pd.DataFrame(counts)
    outbreaks = pd.DataFrame(truth)
    keys = [k for k in ("syndrome", "age_band") if k in table.columns]
    frequency = 365 if freq == "day" else 52
    rows = []
    groups = list(table.groupby(keys, sort=False)) if keys else [((), table)]
    for key, series in groups:
        key = key if isinstance(key, tuple) else (key,)
        series = series.sort_values("date")
        result = detect(
            series["observed"].to_numpy(float), method, frequency=frequency, alpha=alpha, **options
        )
        syndrome = dict(zip(keys, key, strict=True)).get("syndrome")
        relevant = (
            outbreaks[outbreaks["syndrome"] == syndrome] if syndrome is not None else outbreaks
        )
        score = score_alarms(series["date"].tolist(), result.alarm, relevant, freq=freq)
        rows.append({**dict(zip(keys, key, strict=True)), "method": method, **score.as_dict()})
    return pd.DataFrame(rows)
