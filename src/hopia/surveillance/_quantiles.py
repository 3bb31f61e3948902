"""Quantiles of the Poisson and negative binomial laws as R's ``qpois`` and ``qnbinom`` give them.

The quantile of a discrete law is the smallest count ``y`` with ``P(Y <= y) >= p``; R shrinks
``p`` by a few machine epsilons first so that a cumulative probability equal to ``p`` up to
rounding still counts as reaching it. Both functions take arrays and search all quantiles at
once: a Cornish-Fisher first guess, then a doubling bracket and an integer bisection.

Examples
--------
>>> import numpy as np
>>> qpois(0.95, np.array([0.5, 4.0, 100.0])).tolist()
[2.0, 8.0, 117.0]
>>> qnbinom(0.95, np.array([2.0]), np.array([0.5])).tolist()
[6.0]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

_FUZZ = 1.0 - 64.0 * np.finfo(float).eps


def _search(
    p: float, guess: np.ndarray, cdf: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """Smallest integer ``y >= 0`` with ``cdf(y) >= p`` for every entry, from a first guess.

    The guess is most often right or one off: that is checked first (two or three
    evaluations), the others are searched.
    """
    target = p * _FUZZ
    index = np.arange(guess.size)
    high = np.maximum(np.floor(guess), 0.0)
    at = cdf(high, index) >= target
    # Where the guess reaches p, it is the quantile if the count below does not.
    below = np.flatnonzero(at & (high > 0))
    done = at.copy()
    done[below] = cdf(high[below] - 1.0, below) < target
    # Where it does not, the count above may.
    above = np.flatnonzero(~at)
    if above.size:
        ok = cdf(high[above] + 1.0, above) >= target
        high[above[ok]] += 1.0
        done[above[ok]] = True
    rest = np.flatnonzero(~done)
    if rest.size:
        high[rest] = _bracket(target, high[rest], lambda y, i: cdf(y, rest[i]))
    return high


def _bracket(
    target: float, high: np.ndarray, cdf: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """Smallest integer ``y >= 0`` with ``cdf(y) >= target``, by a doubling bracket from ``high``."""
    index = np.arange(high.size)
    high = high.copy()
    # Bracket: low is a count known to be below the quantile (or -1), high one at or above it.
    reached = cdf(high, index) >= target
    low = np.full(high.size, -1.0)
    step = np.maximum(np.floor(np.sqrt(high)), 1.0)
    # Entries already at/above: walk down until below (or -1); the others walk up.
    down = reached.copy()
    probe = high.copy()
    while True:
        todo = down & (low < 0) & (probe > 0)
        if not todo.any():
            break
        candidate = np.maximum(probe[todo] - step[todo], 0.0)
        ok = cdf(candidate, index[todo]) >= target
        sel = np.flatnonzero(todo)
        high[sel[ok]] = candidate[ok]
        probe[sel] = candidate
        low[sel[~ok]] = candidate[~ok]
        step[sel] *= 2.0
    up = ~reached
    low[up] = high[up]
    probe = high.copy()
    while up.any():
        sel = np.flatnonzero(up)
        candidate = probe[sel] + step[sel]
        ok = cdf(candidate, index[sel]) >= target
        high[sel[ok]] = candidate[ok]
        low[sel[~ok]] = candidate[~ok]
        probe[sel] = candidate
        step[sel] *= 2.0
        up[sel[ok]] = False
    # Bisection on integers: low < quantile <= high.
    while True:
        gap = high - low > 1
        if not gap.any():
            return high
        sel = np.flatnonzero(gap)
        middle = np.floor((low[sel] + high[sel]) / 2.0)
        ok = cdf(middle, index[sel]) >= target
        high[sel[ok]] = middle[ok]
        low[sel[~ok]] = middle[~ok]


def qpois(p: float, mean: np.ndarray) -> np.ndarray:
    """R's ``qpois(p, lambda)`` for an array of means.

    Examples
    --------
    >>> qpois(0.5, np.array([0.0, 1e-12])).tolist()
    [0.0, 0.0]
    """
    mean = np.atleast_1d(np.asarray(mean, dtype=float))
    out = np.full(mean.shape, np.nan)
    valid = np.isfinite(mean) & (mean >= 0)
    lam = mean[valid]
    if lam.size:
        z = special.ndtri(p)
        sigma = np.sqrt(lam)
        with np.errstate(divide="ignore", invalid="ignore"):
            gamma = np.where(sigma > 0, 1.0 / sigma, 0.0)
        guess = np.round(lam + sigma * (z + gamma * (z * z - 1.0) / 6.0))

        def cdf(y: np.ndarray, i: np.ndarray) -> np.ndarray:
            return special.pdtr(y, lam[i])

        out[valid] = _search(p, guess, cdf)
    return out


def qnbinom(p: float, size: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """R's ``qnbinom(p, size, prob)`` (failures before the ``size``-th success).

    Examples
    --------
    >>> qnbinom(0.95, np.array([1e-9]), np.array([0.5])).tolist()
    [0.0]
    """
    size = np.atleast_1d(np.asarray(size, dtype=float))
    prob = np.broadcast_to(np.asarray(prob, dtype=float), size.shape)
    out = np.full(size.shape, np.nan)
    valid = np.isfinite(size) & (size > 0) & (prob > 0) & (prob <= 1)
    n, q = size[valid], prob[valid]
    if n.size:
        z = special.ndtri(p)
        inv = 1.0 / q
        ratio = (1.0 - q) * inv
        mean = n * ratio
        sigma = np.sqrt(n * ratio * inv)
        with np.errstate(divide="ignore", invalid="ignore"):
            gamma = np.where(sigma > 0, (inv + ratio) / sigma, 0.0)
        guess = np.round(mean + sigma * (z + gamma * (z * z - 1.0) / 6.0))
        guess = np.where(np.isfinite(guess), guess, 0.0)

        def cdf(y: np.ndarray, i: np.ndarray) -> np.ndarray:
            return special.betainc(n[i], y + 1.0, q[i])

        out[valid] = _search(p, guess, cdf)
    return out
