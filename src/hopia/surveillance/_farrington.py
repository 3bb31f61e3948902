"""Farrington's outbreak detection, in its 1996 form and in Noufaily et al.'s 2013 improvement.

This follows R ``surveillance``'s ``farringtonFlexible`` (version 1.20) step by step, for
series indexed by week number (``epochAsDate = FALSE``):

1. *Baseline.* For the week ``k`` under watch, take the weeks ``k - i·freq ± w`` of the
   ``b`` previous years (``i = 1..b``). With ``no_periods > 1`` the rest of each year is cut
   into ``no_periods - 1`` blocks that enter the model as a seasonal factor (R's
   ``blocks()``); the ``past_weeks_not_included`` weeks before ``k`` (and ``k``) are left out.
2. *Model.* A quasi-Poisson GLM with log link, a linear trend and the factor; if it does not
   converge the trend is dropped; no convergence at all gives no bound (R's ``NA``).
3. *Reweighting.* Anscombe residuals ``s`` (standardised by the dispersion ``φ >= 1`` and the
   hat values) give weights ``γ s⁻²`` above ``weights_threshold`` and ``γ`` below, ``γ``
   making them average one; the model is refitted with them and ``φ`` re-estimated.
4. *Trend.* The trend stays only if its t-test has ``p < p_threshold_trend``, at least three
   years are used and the prediction does not exceed the largest baseline count; otherwise
   steps 2–3 are redone without it.
5. *Threshold.* ``"delta"`` (1996): the prediction's ``2/3`` power is approximately normal;
   the bound is ``(μ₀^{2/3} + z_{1-α} · sd)^{3/2}`` with the delta-method variance
   ``4/9 μ₀^{1/3} (φ + Var(μ̂₀)/μ₀)``. ``"nbPlugin"`` (Noufaily): the ``1 - α`` quantile
   of a negative binomial of mean ``μ₀`` and variance ``φ μ₀`` (Poisson when ``φ <= 1``).
   ``"muan"`` plugs the upper ``1 - α`` limit of ``μ₀`` into the same quantile.
6. *Alarm.* The exceedance score is ``(y - f) / (U - f)`` with ``f`` the prediction on the
   scale R uses (the response for ``"delta"``, the *linear predictor* for the others, as R
   does); an alarm needs score > 1, a non-zero count and at least ``limit54[0]`` cases in
   the last ``limit54[1]`` weeks (the current one included) — without them there is no bound.

Every (series, week) model is fitted at once by :func:`fit_grouped_glm`, which reproduces
R's IRLS iterations so that bounds match R's to 1e-6.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> counts = rng.poisson(10, 6 * 52)
>>> counts[-1] = 40
>>> det = farrington_flexible(counts, **NOUFAILY_2013)
>>> int(det.monitored.sum()), int(det.alarm[-1])
(49, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy import special

from hopia.settings import get_settings
from hopia.surveillance._farrington_runs import RunsFitter, SeriesSums, _Model
from hopia.surveillance._glm import MACHINE_EPSILON, GroupedFit, fit_grouped_glm
from hopia.surveillance._parallel import map_chunks
from hopia.surveillance._quantiles import qnbinom, qpois
from hopia.surveillance._result import Detection

FARRINGTON_1996 = {
    "weights_threshold": 1.0,
    "no_periods": 1,
    "past_weeks_not_included": 3,
    "threshold_method": "delta",
}
"""The original method of Farrington et al. (1996) as R's ``farringtonFlexible`` expresses it."""

NOUFAILY_2013 = {
    "weights_threshold": 2.58,
    "no_periods": 10,
    "past_weeks_not_included": 26,
    "threshold_method": "nbPlugin",
}
"""The improved method of Noufaily et al. (2013) — R's ``farrington-flexible`` setting."""

_THRESHOLD_METHODS = ("delta", "nbPlugin", "muan")
_POWERS = {"2/3": 2.0 / 3.0, "1/2": 0.5, "none": 1.0}
_CHUNK_ELEMENTS = 1_200_000  # baseline weeks × models fitted together (memory ~ 200 MB)


@dataclass(frozen=True)
class FarringtonDesign:
    """Which weeks before week ``k`` form its baseline, and their season group.

    Attributes
    ----------
    offsets : (n,) ``t - k`` of each baseline week, grouped by season group then by time.
    group_starts : (G,) first position of each group in ``offsets``.
    levels : (G,) R's block number of each group (``no_periods`` is the reference windows).
    current : index of the group the week under watch belongs to.
    history : weeks needed before ``k`` (``b·freq + w``).
    """

    offsets: np.ndarray
    group_starts: np.ndarray
    levels: np.ndarray
    current: int
    history: int

    @property
    def group_of(self) -> np.ndarray:
        """(n,) group index of every baseline week."""
        sizes = np.diff(np.append(self.group_starts, len(self.offsets)))
        return np.repeat(np.arange(len(self.group_starts)), sizes)


def _r_span(first: int, last: int) -> np.ndarray:
    """R's ``first:last`` (which counts down when ``last < first``)."""
    step = 1 if last >= first else -1
    return np.arange(first, last + step, step)


def farrington_design(
    freq: int = 52,
    b: int = 5,
    w: int = 3,
    no_periods: int = 1,
    past_weeks_not_included: int | None = None,
) -> FarringtonDesign:
    """The baseline of R's ``algo.farrington.data.glm``, relative to the week under watch.

    Examples
    --------
    >>> d = farrington_design(52, 5, 3, no_periods=1, past_weeks_not_included=3)
    >>> len(d.offsets), int(d.offsets.min()), int(d.offsets.max()), d.history
    (35, -263, -49, 263)
    >>> d = farrington_design(52, 5, 3, no_periods=10, past_weeks_not_included=26)
    >>> len(d.offsets), d.levels.tolist()[-1], int(d.offsets.max())
    (237, 10, -27)
    """
    if past_weeks_not_included is None:
        past_weeks_not_included = w
    if b < 1 or w < 0 or freq < 1 or no_periods < 1:
        raise ValueError("b, freq and no_periods must be >= 1 and w >= 0")
    history = b * freq + w
    now = history + 1  # 1-based position of the week under watch
    factors = np.full(now + 1, np.nan)  # index 0 unused, as R indexes from 1
    factors[_r_span(now - w, now)] = no_periods
    for i in range(1, b + 1):
        reference = now - freq * i
        factors[_r_span(reference - w, reference + w)] = no_periods
        if no_periods != 1:
            period = (now - freq * (i - 1)) - 2 * w - 1 - reference
            if period < no_periods - (2 * w + 1):
                raise ValueError("no_periods is too large for this frequency and window")
            length, rest = divmod(period, no_periods - 1)
            lengths = np.full(no_periods - 1, length)
            lengths[:rest] += 1
            bounds = np.concatenate([[0], np.cumsum(lengths)])
            for j in range(1, no_periods):
                first = reference + w + 1 + bounds[j - 1]
                last = reference + w + 1 + bounds[j] - 1
                factors[_r_span(int(first), int(last))] = j
    excluded = _r_span(now - past_weeks_not_included, now)
    factors[excluded[excluded >= 1]] = np.nan
    position = np.flatnonzero(~np.isnan(factors[1:])) + 1
    label = factors[position]
    order = np.lexsort((position, label))
    position, label = position[order], label[order]
    levels, group_starts = np.unique(label, return_index=True)
    if no_periods not in levels:
        raise ValueError(
            "the reference windows are all excluded (past_weeks_not_included too large)"
        )
    return FarringtonDesign(
        offsets=(position - now).astype(float),
        group_starts=group_starts,
        levels=levels.astype(int),
        current=int(np.flatnonzero(levels == no_periods)[0]),
        history=history,
    )


def _take(fit: GroupedFit, rows: np.ndarray) -> GroupedFit:
    return GroupedFit(**{f.name: getattr(fit, f.name)[rows] for f in fields(fit)})


class _Fitter:
    """R's ``algo.farrington.fitGLM.flexible`` for many rows sharing one design."""

    def __init__(self, design: FarringtonDesign, reweight: bool, weights_threshold: float):
        self.design = design
        self.group_of = design.group_of
        self.centre = float(design.offsets.mean())
        self.tau = design.offsets - self.centre
        self.tau0 = -self.centre
        self.reweight = reweight
        self.weights_threshold = weights_threshold

    def fit(self, y: np.ndarray, y23: np.ndarray, trend: bool) -> _Model:
        """Fit with (then, where it fails, without) trend, reweight and refit."""
        out = _Model.empty(len(y))
        first = fit_grouped_glm(y, self.design.group_starts, self.tau if trend else None)
        done = np.flatnonzero(first.converged)
        if done.size:
            out.put(done, self._finish(y[done], y23[done], _take(first, done), trend))
        failed = np.flatnonzero(~first.converged)
        if trend and failed.size:
            out.put(failed, self.fit(y[failed], y23[failed], trend=False))
        return out

    def _finish(self, y: np.ndarray, y23: np.ndarray, fit: GroupedFit, trend: bool) -> _Model:
        tau = self.tau if trend else None
        if self.reweight:
            phi = np.maximum(fit.dispersion, 1.0)
            hat = fit.leverage(self.group_of, tau)
            root = np.sqrt(fit.mu)
            with np.errstate(divide="ignore", invalid="ignore"):
                # Anscombe residuals: 3/2 (y^{2/3} μ^{-1/6} − μ^{1/2}) / sqrt(φ (1 − h)).
                s = 1.5 * (y23 / np.cbrt(root) - root) / np.sqrt(phi[:, None] * (1.0 - hat))
                inverse = np.where(s > self.weights_threshold, s**-2.0, 1.0)
            gamma = y.shape[1] / inverse.sum(axis=1)
            prior = gamma[:, None] * inverse
            fit = fit_grouped_glm(y, self.design.group_starts, tau, prior=prior)
            phi = np.maximum(fit.dispersion, 1.0)
            # R then stores the prior weights in the model's ``weights`` slot, where
            # ``summary.glm`` expects the working weights: the dispersion behind the trend's
            # t-test and the prediction's standard error is Σ ω ((y − μ)/μ)² / df.
            with np.errstate(invalid="ignore", divide="ignore"):
                dispersion = (prior * ((y - fit.mu) / fit.mu) ** 2).sum(axis=1) / fit.df_residual
        else:
            phi = np.maximum(fit.dispersion, 1.0)
            dispersion = fit.dispersion
        g = self.design.current
        eta0 = fit.level[:, g] + (fit.trend * self.tau0 if trend else 0.0)
        m = len(y)
        return _Model(
            ok=np.ones(m, bool),
            has_trend=np.full(m, trend),
            eta0=eta0,
            var0=fit.link_variance(g, self.tau0 if trend else None),
            dispersion=dispersion,
            phi=phi,
            slope=fit.trend if trend else np.full(m, np.nan),
            slope_var=1.0 / fit.schur if trend else np.full(m, np.nan),
            df_residual=fit.df_residual.astype(float),
        )


def _threshold(
    model: _Model, y_now: np.ndarray, method: str, power: str, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Upper bound and exceedance score (R's ``algo.farrington.threshold.*``)."""
    z = special.ndtri(1.0 - alpha)
    se_link = np.sqrt(model.dispersion * model.var0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if method == "delta":
            mu0 = np.maximum(np.exp(model.eta0), MACHINE_EPSILON)
            se_fit = se_link * mu0
            tau = model.phi + se_fit**2 / mu0
            exponent = _POWERS[power]
            if power == "2/3":
                sd = np.sqrt(4.0 / 9.0 * mu0 ** (1.0 / 3.0) * tau)
            elif power == "1/2":
                sd = np.sqrt(0.25 * tau)
            else:
                sd = np.sqrt(mu0 * tau)
            ends = [(mu0**exponent + sign * z * sd) ** (1.0 / exponent) for sign in (-1.0, 1.0)]
            # R sorts the two ends with NA first and keeps the second one.
            upper = np.where(
                np.isnan(ends[0]), ends[1], np.where(np.isnan(ends[1]), ends[0], np.maximum(*ends))
            )
            score = (y_now - mu0) / (upper - mu0)
        else:
            eta0 = model.eta0
            centre = eta0 if method == "nbPlugin" else eta0 + z * se_link
            mean = np.exp(centre)
            upper = np.full(len(eta0), np.nan)
            usable = np.isfinite(mean) & ~np.isnan(model.phi)
            over = usable & (model.phi > 1.0)
            under = usable & ~(model.phi > 1.0)
            if over.any():
                phi = model.phi[over]
                upper[over] = qnbinom(1.0 - alpha, mean[over] / (phi - 1.0), 1.0 / phi)
            if under.any():
                upper[under] = qpois(1.0 - alpha, mean[under])
            score = (y_now - eta0) / (upper - eta0)
    return upper, score


def farrington_flexible(
    observed: np.ndarray,
    *,
    freq: int = 52,
    b: int = 5,
    w: int = 3,
    reweight: bool = True,
    weights_threshold: float = 2.58,
    alpha: float = 0.05,
    trend: bool = True,
    p_threshold_trend: float = 0.05,
    limit54: tuple[int, int] = (5, 4),
    power_transform: str = "2/3",
    no_periods: int = 1,
    past_weeks_not_included: int | None = None,
    threshold_method: str = "delta",
    monitor_from: int | None = None,
) -> Detection:
    """Farrington-type detection on one series (1-D) or many series of equal length (2-D).

    Parameters mirror R's ``farringtonFlexible`` control list (same defaults); use
    ``**FARRINGTON_1996`` or ``**NOUFAILY_2013`` for the two published settings.

    Parameters
    ----------
    observed : counts, shape (T,) or (series, T); week ``t`` is position ``t - 1``.
    freq : periods per year (52 weekly, 12 monthly, 365 daily).
    b, w : years back, half-window around each reference week.
    reweight, weights_threshold : down-weight past outbreaks (Anscombe residuals above it).
    alpha : one-sided level of the bound.
    trend, p_threshold_trend : offer a linear trend, kept only if significant.
    limit54 : (cases, weeks): no bound and no alarm with fewer cases in the last weeks.
    power_transform : ``"2/3"``, ``"1/2"`` or ``"none"`` (for ``"delta"``).
    no_periods : season groups (1: reference windows only).
    past_weeks_not_included : recent weeks left out of the baseline (default ``w``).
    threshold_method : ``"delta"``, ``"nbPlugin"`` or ``"muan"``.
    monitor_from : first monitored week, 1-based (default ``b·freq + w + 1``, R's default).

    Returns
    -------
    Detection

    Examples
    --------
    >>> import numpy as np
    >>> counts = np.tile([3, 4, 5, 4], 70)
    >>> det = farrington_flexible(counts, **FARRINGTON_1996)
    >>> int(np.flatnonzero(det.monitored)[0]) + 1
    264
    """
    if threshold_method not in _THRESHOLD_METHODS:
        raise ValueError(f"threshold_method must be one of {_THRESHOLD_METHODS}")
    if power_transform not in _POWERS:
        raise ValueError(f"power_transform must be one of {tuple(_POWERS)}")
    if not (limit54[0] >= 0 and limit54[1] > 0):
        raise ValueError("limit54 must be (cases >= 0, weeks > 0)")
    counts = np.asarray(observed, dtype=float)
    single = counts.ndim == 1
    counts2 = np.atleast_2d(counts)
    if np.isnan(counts2).any() or (counts2 < 0).any():
        raise ValueError("counts must be non-negative numbers without missing values")
    n_series, length = counts2.shape
    design = farrington_design(freq, b, w, no_periods, past_weeks_not_included)
    first = design.history + 1 if monitor_from is None else int(monitor_from)
    if first - design.history < 1:
        raise ValueError(
            f"monitoring needs {design.history} weeks of history: start at t >= {design.history + 1}"
        )
    weeks = np.arange(first - 1, length)  # 0-based positions under watch

    upper = np.full(counts2.shape, np.nan)
    alarm = np.full(counts2.shape, np.nan)
    score = np.full(counts2.shape, np.nan)
    monitored = np.zeros(counts2.shape, bool)
    monitored[:, weeks] = True
    if weeks.size:
        job = _Job(
            fast=RunsFitter(design, freq, reweight, weights_threshold),
            exact=_Fitter(design, reweight, weights_threshold),
            counts=counts2,
            weeks=weeks,
            chunk=max(1, _CHUNK_ELEMENTS // len(design.offsets)),
            settings=(trend, b, p_threshold_trend, limit54, threshold_method, power_transform),
            alpha=alpha,
        )
        starts = range(0, n_series * weeks.size, job.chunk)
        for _, (s, k, bound, raised, exceed) in map_chunks(job, starts, get_settings().threads):
            upper[s, k], alarm[s, k], score[s, k] = bound, raised, exceed
    name = "farrington"
    if single:
        return Detection(name, counts, monitored[0], upper[0], alarm[0], score[0])
    return Detection(name, counts, monitored, upper, alarm, score)


class _Job:
    """Every (series, week) model of a call, in chunks of ``chunk`` models (series-major).

    Picklable, so that :func:`map_chunks` can run its chunks on worker processes.
    """

    def __init__(
        self,
        fast: RunsFitter,
        exact: _Fitter,
        counts: np.ndarray,
        weeks: np.ndarray,
        chunk: int,
        settings: tuple,
        alpha: float,
    ):
        self.fast, self.exact, self.weeks, self.chunk = fast, exact, weeks, chunk
        self.counts = np.ascontiguousarray(counts)
        self.settings, self.alpha = settings, alpha
        self.running = SeriesSums(counts)
        zero = np.zeros((len(counts), 1))
        self.cumulative = np.concatenate([zero, np.cumsum(counts, axis=1)], axis=1)

    def run(self, start: int) -> tuple[np.ndarray, ...]:
        """Series, weeks, upper bounds, alarms and scores of the chunk starting at ``start``."""
        trend, b, p_threshold, limit54, method, power = self.settings
        n_series, length = self.counts.shape
        models = np.arange(start, min(start + self.chunk, n_series * self.weeks.size))
        s, k = np.divmod(models, self.weeks.size)
        k = self.weeks[k]
        offsets = self.fast.design.offsets.astype(np.intp)
        y = np.take(self.counts, offsets[:, None] + (s * length + k))  # faster than [ ]
        y_now = self.counts[s, k]
        cumulative = self.cumulative
        recent = cumulative[s, k + 1] - cumulative[s, np.maximum(k + 1 - limit54[1], 0)]
        enough = recent >= limit54[0]
        batch = (y, self.running, s, k)
        model = _fit_models(self.fast, self.exact, batch, trend, b, p_threshold)
        bound, exceed = _threshold(model, y_now, method, power, self.alpha)
        with np.errstate(invalid="ignore"):
            raised = enough & (exceed > 1.0) & (y_now != 0)
        return (
            s,
            k,
            np.where(model.ok & enough, bound, np.nan),
            np.where(model.ok, raised.astype(float), np.nan),
            np.where(model.ok, exceed, np.nan),
        )


def _fit_models(
    fast: RunsFitter,
    exact: _Fitter,
    batch: tuple[np.ndarray, SeriesSums, np.ndarray, np.ndarray],
    trend: bool,
    b: int,
    p_threshold: float,
) -> _Model:
    """Every model of the batch, by the closed-form IRLS, week by week where it cannot follow R.

    ``batch`` is the baselines (n, m), models last, the running sums, series and weeks.
    """
    y, running, series, week = batch
    data = fast.prepare(y, running, series, week)
    model, inexact = fast.fit(data, trend)
    if trend:
        redo = _trend_rejected(model, y.max(axis=0), b, p_threshold)
        if redo.size:
            refit, bad = fast.fit(data.rows(redo), False)
            model.put(redo, _Model.empty(len(redo)))
            model.put(redo, refit)
            inexact[redo] |= bad
    rows = np.flatnonzero(inexact)
    if rows.size:
        yr = y[:, rows].T.copy()
        yr23 = yr ** (2.0 / 3.0)
        slow = exact.fit(yr, yr23, trend)
        if trend:
            redo = _trend_rejected(slow, yr.max(axis=1), b, p_threshold)
            if redo.size:
                slow.put(redo, _Model.empty(len(redo)))
                slow.put(redo, exact.fit(yr[redo], yr23[redo], trend=False))
        model.put(rows, slow)
    return model


def _trend_rejected(model: _Model, y_max: np.ndarray, b: int, p_threshold: float) -> np.ndarray:
    """Rows whose trend fails one of R's three criteria for keeping it (refit without).

    ``y_max`` is the largest baseline count of each row.
    """
    rows = model.ok & model.has_trend
    if not rows.any():
        return np.flatnonzero(rows)
    mu0 = np.maximum(np.exp(model.eta0), MACHINE_EPSILON)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_value = model.slope / np.sqrt(model.dispersion * model.slope_var)
        p_value = 2.0 * special.stdtr(model.df_residual, -np.abs(t_value))
        keep = (b >= 3) & (p_value < p_threshold) & (mu0 <= y_max)
    return np.flatnonzero(rows & ~keep)
