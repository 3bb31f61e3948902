"""CUSUM for counts (Poisson or negative binomial), as R ``surveillance``'s ``algo.cusum``.

Each monitored count ``x_t`` is standardised against its expected value ``m`` and
accumulated: ``C_t = max(0, C_{t-1} + z_t - k)``; an alarm is raised when ``C_t >= h``.
The standardisation (R's ``trans``) chooses the law:

* ``"standard"`` — Poisson: ``z = (x - m) / √m``;
* ``"pearsonNegBin"`` — negative binomial with variance ``m + α m²``:
  ``z = (x - m) / √(m + α m²)``;
* ``"anscombe"``, ``"anscombe2nd"``, ``"rossi"`` — Poisson with a variance-stabilising
  transform; ``"none"`` — the raw count.

The upper bound is the count that would bring ``C_t`` to ``h`` (back-transformed; rounded up
for ``"standard"``; 0 where negative or undefined), as R computes it. ``m`` is the mean of
the counts before the first monitored week, a number, or ``"glm"``: a Poisson regression
``log m = β₀ + β₁ cos(2πt/freq) + β₂ sin(2πt/freq)`` fitted to those weeks.

Examples
--------
>>> import numpy as np
>>> counts = np.array([5, 4, 6, 5, 5, 4, 6, 5, 12, 14, 13])
>>> det = cusum(counts, monitor_from=8)
>>> det.alarm[7:].tolist()
[0.0, 0.0, 1.0, 1.0]
"""

from __future__ import annotations

import numpy as np

from hopia.surveillance._glm import fit_poisson_glm
from hopia.surveillance._result import Detection

TRANSFORMS = ("standard", "rossi", "anscombe", "anscombe2nd", "pearsonNegBin", "none")


def _seasonal_poisson_mean(counts: np.ndarray, train: int, length: int, freq: int) -> np.ndarray:
    """Expected counts for weeks ``1..length`` from a harmonic Poisson GLM on weeks ``1..train``."""
    t = np.arange(1, length + 1, dtype=float)
    design = np.column_stack(
        [np.ones(length), np.cos(2 * np.pi * t / freq), np.sin(2 * np.pi * t / freq)]
    )
    coef = fit_poisson_glm(design[:train], counts[:train])
    return np.exp(design @ coef)


def cusum(
    observed: np.ndarray,
    *,
    k: float = 1.04,
    h: float = 2.26,
    m: float | str | None = None,
    trans: str = "standard",
    alpha: float = 0.1,
    freq: int = 52,
    monitor_from: int | None = None,
) -> Detection:
    """CUSUM on one series (1-D) or many (2-D; ``m`` then estimated per series).

    Parameters
    ----------
    observed : counts, shape (T,) or (series, T).
    k, h : reference value and decision interval (R's defaults 1.04 and 2.26).
    m : expected count: None (mean of the weeks before ``monitor_from``), a number, or
        ``"glm"`` (seasonal Poisson regression on those weeks).
    trans : standardisation, one of :data:`TRANSFORMS` (``"standard"`` Poisson,
        ``"pearsonNegBin"`` negative binomial).
    alpha : negative binomial overdispersion ``α`` (variance ``m + α m²``).
    freq : periods per year (for ``m="glm"``).
    monitor_from : first monitored week, 1-based (default ``freq + 1``: one year to learn ``m``).

    Returns
    -------
    Detection
        ``score`` is the cumulative sum ``C_t``.

    Examples
    --------
    >>> det = cusum(np.r_[np.full(52, 3), 3, 9, 10], trans="pearsonNegBin", alpha=0.2)
    >>> det.alarm[52:].tolist()
    [0.0, 0.0, 1.0]
    """
    if trans not in TRANSFORMS:
        raise ValueError(f"trans must be one of {TRANSFORMS}")
    counts = np.asarray(observed, dtype=float)
    single = counts.ndim == 1
    counts2 = np.atleast_2d(counts)
    n_series, length = counts2.shape
    first = freq + 1 if monitor_from is None else int(monitor_from)
    if first < 2:
        raise ValueError("CUSUM needs at least one week before the first monitored one")
    upper = np.full(counts2.shape, np.nan)
    alarm = np.full(counts2.shape, np.nan)
    score = np.full(counts2.shape, np.nan)
    monitored = np.zeros(counts2.shape, bool)
    if length >= first:
        monitored[:, first - 1 :] = True
        train = first - 1
        if m is None:
            mean = np.repeat(counts2[:, :train].mean(axis=1, keepdims=True), length - train, axis=1)
        elif isinstance(m, str):
            if m != "glm":
                raise ValueError('m must be None, a number or "glm"')
            mean = np.stack(
                [_seasonal_poisson_mean(c, train, length, freq)[train:] for c in counts2]
            )
        else:
            mean = np.full((n_series, length - train), float(m))
        x = counts2[:, train:]
        with np.errstate(invalid="ignore", divide="ignore"):
            standardised = {
                "rossi": lambda: (x - 3 * mean + 2 * np.sqrt(x * mean)) / (2 * np.sqrt(mean)),
                "standard": lambda: (x - mean) / np.sqrt(mean),
                "anscombe": lambda: 1.5 * (x ** (2 / 3) - mean ** (2 / 3)) / mean ** (1 / 6),
                "anscombe2nd": lambda: (
                    (x ** (2 / 3) - (mean ** (2 / 3) - mean ** (-1 / 3) / 9))
                    / (2 / 3 * mean ** (1 / 6))
                ),
                "pearsonNegBin": lambda: (x - mean) / np.sqrt(mean + alpha * mean**2),
                "none": lambda: x,
            }[trans]()
        sums = np.zeros((n_series, x.shape[1] + 1))
        for t in range(x.shape[1]):
            sums[:, t + 1] = np.maximum(0.0, sums[:, t] + (standardised[:, t] - k))
        previous = sums[:, :-1]
        root = np.sqrt(mean)
        with np.errstate(invalid="ignore"):
            bound = {
                "rossi": lambda: (
                    2 * h * root
                    + 2 * k * root
                    - 2 * previous * root
                    + 5 * mean
                    - 2 * np.sqrt(4 * mean**2 + 2 * mean**1.5 * (h + k - previous))
                ),
                "standard": lambda: np.ceil(root * (h + k - previous) + mean),
                "anscombe": lambda: _power_or_zero(
                    2 / 3 * mean ** (1 / 6) * (h + k - previous) + mean ** (2 / 3)
                ),
                "anscombe2nd": lambda: _power_or_zero(
                    2 / 3 * mean ** (1 / 6) * (h + k - previous)
                    + (mean ** (2 / 3) - mean ** (1 / 3) / 9)
                ),
                "pearsonNegBin": lambda: (
                    np.sqrt(mean + alpha * mean**2) * (h + k - previous) + mean
                ),
                "none": lambda: h - sums[:, 1:],
            }[trans]()
        bound = np.where(np.isnan(bound) | (bound < 0), 0.0, bound)
        upper[:, train:] = bound
        score[:, train:] = sums[:, 1:]
        alarm[:, train:] = (sums[:, 1:] >= h).astype(float)
    name = "cusum" if trans == "standard" else f"cusum-{trans}"
    if single:
        return Detection(name, counts, monitored[0], upper[0], alarm[0], score[0])
    return Detection(name, counts, monitored, upper, alarm, score)


def _power_or_zero(base: np.ndarray) -> np.ndarray:
    """``base^(3/2)``, 0 where the base is negative (R's back-transform of Anscombe residuals)."""
    with np.errstate(invalid="ignore"):
        return np.where(base < 0, 0.0, np.abs(base) ** 1.5)
