"""Serfling's seasonal regression: the epidemic threshold of influenza-like illness.

The French Sentinelles network declares an influenza epidemic when the weekly incidence
exceeds a threshold from a periodic regression (Serfling 1963; Costagliola et al. 1991):
a linear trend plus one (or more) annual harmonics, fitted by least squares to the previous
years *after removing the epidemic weeks* — here the highest ``prune`` share of them — and
the upper limit of the one-sided ``1 - alpha`` prediction interval of this week is the
threshold.

For week ``t`` the fit uses weeks ``t - years·freq .. t - 1``:
``y = a + b·r + Σ_j (c_j cos(2πjr/freq) + d_j sin(2πjr/freq)) + ε`` with ``r`` the week
relative to ``t``; the bound is ``ŷ_t + t_{1-α, df} · s · √(1 + x₀'(X'X)⁻¹x₀)``.

Examples
--------
>>> import numpy as np
>>> weeks = np.arange(6 * 52)
>>> counts = 100 + 40 * np.cos(2 * np.pi * weeks / 52) + np.random.default_rng(0).normal(0, 5, weeks.size)
>>> counts[-1] += 80
>>> det = serfling(counts)
>>> int(det.monitored.sum()), int(det.alarm[-1])
(52, 1)
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special

from hopia.surveillance._result import Detection


def serfling(
    observed: np.ndarray,
    *,
    freq: int = 52,
    years: int = 5,
    harmonics: int = 1,
    trend: bool = True,
    prune: float = 0.15,
    alpha: float = 0.05,
    monitor_from: int | None = None,
) -> Detection:
    """Serfling threshold on one series (1-D) or many of equal length (2-D).

    Parameters
    ----------
    observed : counts or incidences, shape (T,) or (series, T).
    freq : periods per year.
    years : years of history in each fit.
    harmonics : annual harmonics in the regression.
    trend : include a linear trend.
    prune : share of the highest training values left out (epidemic weeks).
    alpha : one-sided level of the prediction bound.
    monitor_from : first monitored week, 1-based (default ``years·freq + 1``).

    Returns
    -------
    Detection
        ``score`` is the standardised prediction error ``(y - ŷ) / se``.

    Examples
    --------
    >>> det = serfling(np.random.default_rng(3).poisson(50, 300), years=2, harmonics=2)
    >>> int(np.flatnonzero(det.monitored)[0]) + 1
    105
    """
    if not 0 <= prune < 1:
        raise ValueError("prune must be in [0, 1)")
    counts = np.asarray(observed, dtype=float)
    single = counts.ndim == 1
    counts2 = np.atleast_2d(counts)
    window = years * freq
    first = window + 1 if monitor_from is None else int(monitor_from)
    if first <= window:
        raise ValueError(f"Serfling with {years} years needs t >= {window + 1}")
    relative = np.arange(-window, 0, dtype=float)
    columns = [np.ones(window)]
    if trend:
        columns.append(relative / freq)
    for j in range(1, harmonics + 1):
        angle = 2 * np.pi * j * relative / freq
        columns += [np.cos(angle), np.sin(angle)]
    design = np.column_stack(columns)
    here = np.zeros(design.shape[1])
    here[0] = 1.0
    for j in range(harmonics):
        here[(2 if trend else 1) + 2 * j] = 1.0  # cos(0) = 1, sin(0) = 0
    upper = np.full(counts2.shape, np.nan)
    alarm = np.full(counts2.shape, np.nan)
    score = np.full(counts2.shape, np.nan)
    monitored = np.zeros(counts2.shape, bool)
    length = counts2.shape[1]
    if length >= first:
        weeks = np.arange(first - 1, length)
        monitored[:, weeks] = True
        for row, series in enumerate(counts2):
            history = sliding_window_view(series, window)[weeks - window]  # (K, window)
            cut = np.quantile(history, 1.0 - prune, axis=1, keepdims=True) if prune else np.inf
            kept = (history <= cut).astype(float)
            gram = np.einsum("kn,np,nq->kpq", kept, design, design)
            moment = np.einsum("kn,np->kp", kept * history, design)
            coef = np.linalg.solve(gram, moment[..., None])[..., 0]
            residual = (history - coef @ design.T) * kept
            df = kept.sum(axis=1) - design.shape[1]
            sigma2 = (residual**2).sum(axis=1) / df
            solved = np.linalg.solve(gram, np.broadcast_to(here, coef.shape)[..., None])[..., 0]
            leverage = solved @ here
            se = np.sqrt(sigma2 * (1.0 + leverage))
            fitted = coef @ here
            bound = fitted + special.stdtrit(df, 1.0 - alpha) * se
            y = series[weeks]
            upper[row, weeks] = bound
            alarm[row, weeks] = (y > bound).astype(float)
            score[row, weeks] = (y - fitted) / se
    if single:
        return Detection("serfling", counts, monitored[0], upper[0], alarm[0], score[0])
    return Detection("serfling", counts, monitored, upper, alarm, score)
