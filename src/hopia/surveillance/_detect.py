"""One entry point for every detection method, by the name the command line uses."""

from __future__ import annotations

import numpy as np

from hopia.surveillance._cusum import cusum
from hopia.surveillance._ears import ears
from hopia.surveillance._farrington import FARRINGTON_1996, NOUFAILY_2013, farrington_flexible
from hopia.surveillance._result import Detection
from hopia.surveillance._serfling import serfling

METHODS = (
    "ears-c1",
    "ears-c2",
    "ears-c3",
    "cusum",
    "cusum-negbin",
    "farrington-1996",
    "farrington-flexible",
    "serfling",
)
"""Method names accepted by :func:`detect` and ``hopia surveil detect --method``."""


def detect(
    observed: np.ndarray,
    method: str,
    *,
    frequency: int = 52,
    alpha: float | None = None,
    **options: object,
) -> Detection:
    """Run one detection method with its published default parameters.

    Parameters
    ----------
    observed : counts, shape (T,) or (series, T).
    method : one of :data:`METHODS`.
    frequency : periods per year (52 weekly, 12 monthly, 365 daily).
    alpha : significance level; default 0.001 for EARS, 0.05 for Farrington and Serfling.
        For CUSUM it is the negative binomial overdispersion of ``cusum-negbin`` (default 0.1).
    options : further keyword arguments of the method's function (e.g. ``b=2`` for
        Farrington, ``baseline=10`` for EARS, ``monitor_from=…``).

    Returns
    -------
    Detection

    Examples
    --------
    >>> det = detect(np.arange(300) % 5, "farrington-1996")
    >>> int(np.flatnonzero(det.monitored)[0]) + 1
    264
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if method.startswith("ears-"):
        level = 0.001 if alpha is None else alpha
        return ears(observed, method[-2:].upper(), alpha=level, **options)  # type: ignore[arg-type]
    if method == "cusum":
        return cusum(observed, freq=frequency, **options)  # type: ignore[arg-type]
    if method == "cusum-negbin":
        dispersion = 0.1 if alpha is None else alpha
        return cusum(observed, freq=frequency, trans="pearsonNegBin", alpha=dispersion, **options)  # type: ignore[arg-type]
    level = 0.05 if alpha is None else alpha
    if method == "serfling":
        return serfling(observed, freq=frequency, alpha=level, **options)  # type: ignore[arg-type]
    preset = dict(FARRINGTON_1996 if method == "farrington-1996" else NOUFAILY_2013)
    preset.update(options)
    result = farrington_flexible(observed, freq=frequency, alpha=level, **preset)  # type: ignore[arg-type]
    return Detection(
        method, result.observed, result.monitored, result.upperbound, result.alarm, result.score
    )
