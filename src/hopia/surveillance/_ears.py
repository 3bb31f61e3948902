"""The CDC's Early Aberration Reporting System: C1, C2 and C3, as R ``surveillance``'s ``earsC``.

For week ``t`` the baseline is the mean ``m`` and standard deviation ``s`` (``n - 1``
denominator) of ``baseline`` earlier counts:

* C1 uses ``t - baseline .. t - 1``; bound ``m + z s`` with ``z = Φ⁻¹(1 - α)``.
* C2 skips two weeks (``t - baseline - 2 .. t - 3``); same bound.
* C3 adds the positive parts of ``C2(t-1) - 1`` and ``C2(t-2) - 1`` (``C2`` being the
  standardised count ``(y - m) / s``) to today's statistic; R expresses the bound as
  ``y_t + s_t (z - Σ lags)``, floored at zero, and so does this module.

An alarm is raised when the count exceeds the bound. ``min_sigma`` floors ``s`` (R's
``minSigma``, 0 by default: a flat baseline then gives an infinite or undefined statistic,
and R's ``NA`` becomes NaN here).

Examples
--------
>>> import numpy as np
>>> counts = np.array([4, 5, 6, 5, 4, 5, 6, 5, 4, 5, 6, 5, 4, 5, 30])
>>> det = ears(counts, "C1")
>>> int(det.alarm[-1]), round(float(det.upperbound[-1]), 3)
(1, 6.99)
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special

from hopia.surveillance._result import Detection

_LAG = {"C1": 0, "C2": 2, "C3": 2}


def _baseline_stats(counts: np.ndarray, baseline: int, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of ``counts[t - baseline - lag .. t - 1 - lag]`` for every ``t`` (NaN if short)."""
    length = counts.shape[-1]
    mean = np.full(counts.shape, np.nan)
    sd = np.full(counts.shape, np.nan)
    first = baseline + lag  # 0-based position of the first week with a full baseline
    if length > first:
        windows = sliding_window_view(counts, baseline, axis=-1)[..., : length - first, :]
        mean[..., first:] = windows.mean(axis=-1)
        sd[..., first:] = windows.std(axis=-1, ddof=1)
    return mean, sd


def ears(
    observed: np.ndarray,
    method: str = "C1",
    *,
    baseline: int = 7,
    alpha: float = 0.001,
    min_sigma: float = 0.0,
    monitor_from: int | None = None,
) -> Detection:
    """EARS C1, C2 or C3 on one series (1-D) or many of equal length (2-D).

    Parameters
    ----------
    observed : counts, shape (T,) or (series, T).
    method : ``"C1"``, ``"C2"`` or ``"C3"``.
    baseline : number of weeks in the baseline (R's ``baseline``, at least 3).
    alpha : one-sided level (R's ``alpha``; 0.001 here for all three methods).
    min_sigma : lower bound of the baseline standard deviation.
    monitor_from : first monitored week, 1-based. Default ``2·baseline + 1`` (15 with the
        default baseline) for all three methods, the range of the reference runs; the
        earliest possible is ``baseline + 1`` (C1), ``+ 3`` (C2), ``+ 5`` (C3).

    Returns
    -------
    Detection
        ``score`` is the C1/C2/C3 statistic.

    Examples
    --------
    >>> det = ears(np.arange(20) % 3, "C2", monitor_from=10)
    >>> int(det.monitored.sum())
    11
    """
    method = method.upper()
    if method not in _LAG:
        raise ValueError("method must be C1, C2 or C3")
    if baseline < 3:
        raise ValueError("baseline must be at least 3")
    if min_sigma < 0:
        raise ValueError("min_sigma must be >= 0")
    counts = np.asarray(observed, dtype=float)
    earliest = baseline + 1 + _LAG[method] + (2 if method == "C3" else 0)
    first = 2 * baseline + 1 if monitor_from is None else int(monitor_from)
    if first < earliest:
        raise ValueError(f"EARS {method} with baseline {baseline} can start at t >= {earliest}")
    z = special.ndtri(1.0 - alpha)
    mean, sd = _baseline_stats(counts, baseline, _LAG[method])
    sigma = np.maximum(sd, min_sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method in ("C1", "C2"):
            upper = mean + z * sigma
            score = (counts - mean) / sigma
        else:
            c2 = (counts - mean) / sigma
            lag_part = np.full(counts.shape, np.nan)
            lag_part[..., 2:] = np.maximum(0.0, c2[..., :-2] - 1.0) + np.maximum(
                0.0, c2[..., 1:-1] - 1.0
            )
            upper = np.maximum(0.0, counts + sigma * (z - lag_part))
            score = c2 + lag_part
    monitored = np.zeros(counts.shape, dtype=bool)
    monitored[..., first - 1 :] = True
    upper = np.where(monitored, upper, np.nan)
    with np.errstate(invalid="ignore"):
        alarm = np.where(np.isnan(upper), np.nan, (counts > upper).astype(float))
    score = np.where(monitored, score, np.nan)
    return Detection(f"ears-{method.lower()}", counts, monitored, upper, alarm, score)
