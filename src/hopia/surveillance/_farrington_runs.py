"""R's ``algo.farrington.fitGLM.flexible`` for many weeks at once, IRLS sums in closed form.

Same steps as :class:`hopia.surveillance._farrington._Fitter` (fit with trend, drop it where
the IRLS fails, reweight by Anscombe residuals, refit), but the iterations run on
:func:`fit_runs_glm` and only the quantities R reads once per fit (dispersion, hat values,
residuals) are computed week by week. Models the closed form cannot follow exactly are
reported (``inexact``) for the caller to refit with the week-by-week IRLS.

Examples
--------
>>> import numpy as np
>>> from hopia.surveillance._farrington import farrington_design
>>> design = farrington_design(52, 5, 3, no_periods=10, past_weeks_not_included=26)
>>> fitter = RunsFitter(design, 52, reweight=True, weights_threshold=2.58)
>>> counts = np.random.default_rng(0).poisson(8.0, (1, 300)).astype(float)
>>> week = np.arange(design.history, 300)  # 0-based weeks under watch
>>> y = counts[0][design.offsets.astype(int)[:, None] + week]  # (baseline weeks, models)
>>> model, inexact = fitter.fit(y, True, SeriesSums(counts), np.zeros(week.size, int), week)
>>> bool(model.ok.all()), bool(inexact.any())
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from hopia.surveillance._glm import MACHINE_EPSILON
from hopia.surveillance._glm_runs import (
    BaselineSums,
    Removed,
    RunLayout,
    RunsFit,
    fit_runs_glm,
    means,
)

if TYPE_CHECKING:
    from hopia.surveillance._farrington import FarringtonDesign


@dataclass
class _Model:
    """What the thresholds need of each fitted model (one entry per row)."""

    ok: np.ndarray
    has_trend: np.ndarray
    eta0: np.ndarray
    var0: np.ndarray
    dispersion: np.ndarray
    phi: np.ndarray
    slope: np.ndarray
    slope_var: np.ndarray
    df_residual: np.ndarray

    @classmethod
    def empty(cls, m: int) -> _Model:
        nan = np.full(m, np.nan)
        return cls(
            np.zeros(m, bool),
            np.zeros(m, bool),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            np.zeros(m),
        )

    def put(self, rows: np.ndarray, other: _Model) -> None:
        for field in fields(self):
            getattr(self, field.name)[rows] = getattr(other, field.name)


class SeriesSums:
    """Running sums of the series' ``(y + 0.1) log(y + 0.1)``, ``y log y`` and ``y log(y + 0.1)``.

    Their sums over a baseline are the same for every fit of a week, so they are read off
    running sums (two look-ups per run of weeks) instead of being summed week by week.
    """

    def __init__(self, counts: np.ndarray):
        u = counts + 0.1
        h = u * np.log(u)
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(counts > 0, counts * np.log(np.where(counts > 0, counts, 1.0)), 0.0)
        ylogu = counts * np.log(u)
        t = np.arange(counts.shape[1], dtype=float)
        parts = [h, h * t, ylogy, ylogu]
        self.width = counts.shape[1] + 1
        self.running = [
            np.concatenate([np.zeros((len(counts), 1)), np.cumsum(x, axis=1)], axis=1).ravel()
            for x in parts
        ]


class _Data:
    """One batch of baselines: counts (n, m), models last, and their fixed sums."""

    def __init__(
        self,
        fitter: RunsFitter,
        y: np.ndarray,
        sums: SeriesSums,
        series: np.ndarray,
        week: np.ndarray,
    ):
        self.y = y
        stacked = fitter.columns.T @ y
        g = fitter.layout.n_groups
        self.y_g, self.yt_g, self.ytt = stacked[:g], stacked[g : 2 * g], stacked[2 * g]
        first = fitter.run_start[:, None] + (series * sums.width + week)
        last = first + fitter.run_length[:, None]
        h, ht, ylogy, ylogu = (x[last] - x[first] for x in sums.running)
        # Σ h τ over a run = τ(first week) Σ h + Σ h (t − t_first).
        ht = h * fitter.run_tau[:, None] + ht - (fitter.run_start[:, None] + week) * h
        self.h_g = fitter.run_group.T @ h
        self.ht = ht.sum(axis=0)
        self.ylogy_sum = ylogy.sum(axis=0)
        self.ylogu_sum = ylogu.sum(axis=0)

    def rows(self, rows: np.ndarray, *, counts: bool = True) -> _Data:
        """The batch restricted to ``rows`` (without the week-by-week counts if not ``counts``)."""
        out = object.__new__(_Data)
        for name, value in vars(self).items():
            if counts or name != "y":
                setattr(out, name, value[..., rows])
        return out


class RunsFitter:
    """Fit the Farrington GLMs of many (series, week) baselines sharing one design."""

    def __init__(
        self, design: FarringtonDesign, freq: int, reweight: bool, weights_threshold: float
    ):
        self.design = design
        self.group_of = design.group_of
        self.centre = float(design.offsets.mean())
        self.tau = design.offsets - self.centre
        self.tau0 = -self.centre
        self.reweight = reweight
        self.weights_threshold = weights_threshold
        self.layout = RunLayout.from_offsets(self.tau, self.group_of, freq)
        g = self.layout.n_groups
        indicator = np.zeros((len(self.tau), g))
        indicator[np.arange(len(self.tau)), self.group_of] = 1.0
        self.columns = np.hstack([indicator, indicator * self.tau[:, None], self.tau[:, None] ** 2])
        self.n_g = indicator.sum(axis=0)
        self.t_g = self.tau @ indicator
        self.tt = float(self.tau @ self.tau)
        offsets = design.offsets.astype(np.intp)
        starts = np.flatnonzero(np.r_[True, np.diff(offsets) != 1])
        if np.any(np.diff(self.group_of)[np.diff(offsets) == 1] != 0):
            raise AssertionError("a run of weeks spans two groups")
        self.run_start = offsets[starts]
        self.run_length = np.diff(np.r_[starts, len(offsets)])
        self.run_tau = self.tau[starts]
        self.run_group = indicator[starts]

    def fit(
        self, y: np.ndarray, trend: bool, sums: SeriesSums, series: np.ndarray, week: np.ndarray
    ) -> tuple[_Model, np.ndarray]:
        """Fit with (then, where it fails, without) trend, reweight and refit.

        Parameters
        ----------
        y : (n, m) baselines, models last (rows as the design's offsets).
        trend : offer a trend.
        sums, series, week : the series' running sums, and which series and week (0-based)
            each model watches.

        Returns
        -------
        The models, and a mask of those to refit week by week.
        """
        return self._fit(_Data(self, y, sums, series, week), trend)

    def _fit(self, data: _Data, trend: bool) -> tuple[_Model, np.ndarray]:
        m = data.y.shape[1]
        out = _Model.empty(m)
        inexact = np.zeros(m, bool)
        first = fit_runs_glm(self.layout, self._sums(data, None), trend)
        inexact |= first.inexact
        done = np.flatnonzero(first.converged & ~first.inexact)
        if done.size:
            model, bad = self._finish(data.rows(done), first.rows(done), trend)
            out.put(done, model)
            inexact[done] |= bad
        failed = np.flatnonzero(~first.converged & ~first.inexact)
        if trend and failed.size:
            model, bad = self._fit(data.rows(failed), trend=False)
            out.put(failed, model)
            inexact[failed] |= bad
        return out, inexact

    def _sums(
        self, data: _Data, removed: Removed | None, rows: np.ndarray | None = None
    ) -> BaselineSums:
        """The fit's fixed sums, with the prior weights γ (1 − d) of ``removed``.

        ``rows``: the models of ``data`` that ``removed`` describes (default: all).
        """
        y_all = data.y
        if rows is not None:
            data = data.rows(rows, counts=False)
        m = len(data.ylogy_sum)
        w_g = np.broadcast_to(self.n_g[:, None], (len(self.n_g), m))
        wt_g = np.broadcast_to(self.t_g[:, None], (len(self.n_g), m))
        wtt = np.full(m, self.tt)
        dev0 = 2.0 * (data.ylogy_sum - data.ylogu_sum + 0.1 * len(self.tau))
        sums = BaselineSums(
            w_g, wt_g, wtt, data.y_g, data.yt_g, data.ytt, data.h_g, data.ht, data.ylogy_sum, dev0
        )
        if removed is None:
            return sums
        tau = self.tau[removed.column]
        d = removed.d
        y = y_all[removed.column, np.arange(y_all.shape[1]) if rows is None else rows]
        u = y + 0.1
        h = u * np.log(u)
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
        ylogu = y * np.log(u)
        gg = removed.gamma
        return BaselineSums(
            w_g=gg * (w_g - removed.per_group(np.ones_like(tau))),
            wt_g=gg * (wt_g - removed.per_group(tau)),
            wtt=gg * (wtt - (d * tau**2).sum(axis=0)),
            y_g=gg * (data.y_g - removed.per_group(y)),
            yt_g=gg * (data.yt_g - removed.per_group(y * tau)),
            ytt=gg * (data.ytt - (d * y * tau**2).sum(axis=0)),
            h_g=gg * (data.h_g - removed.per_group(h)),
            ht=gg * (data.ht - (d * h * tau).sum(axis=0)),
            ylogy=gg * (data.ylogy_sum - (d * ylogy).sum(axis=0)),
            dev0=gg * (dev0 - 2.0 * (d * (ylogy - ylogu + 0.1)).sum(axis=0)),
        )

    def _means(self, data: _Data, fit: RunsFit, trend: bool) -> tuple[np.ndarray, np.ndarray]:
        """(n, m) fitted means and the means behind the last working weights."""
        mu = means(self.layout, fit.level, fit.trend if trend else None)
        mu_prev = means(self.layout, fit.level_prev, fit.trend_prev if trend else None)
        first = np.flatnonzero(fit.iterations == 1)
        if first.size:
            mu_prev[:, first] = data.y[:, first] + 0.1
        return mu, mu_prev

    def _finish(self, data: _Data, fit: RunsFit, trend: bool) -> tuple[_Model, np.ndarray]:
        n, m = data.y.shape
        y = data.y
        rank = self.layout.n_groups + (1 if trend else 0)
        mu, mu_prev = self._means(data, fit, trend)
        resid = y - mu
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio2 = resid / mu
            ratio2 *= ratio2
            pearson = np.einsum("nm,nm->m", mu_prev, ratio2)
        df = np.full(m, n - rank)
        dispersion = np.where(df > 0, pearson / np.maximum(df, 1), np.nan)
        phi = np.maximum(dispersion, 1.0)
        inexact = np.zeros(m, bool)
        if self.reweight:
            removed, zero_prior = self._downweight(
                data, fit, mu, mu_prev, resid, ratio2, phi, trend
            )
            fit = self._refit(data, removed, trend)
            inexact |= fit.inexact
            mu, mu_prev = self._means(data, fit, trend)
            col, d, gamma = removed.column, removed.d, removed.gamma
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio2 = y - mu
                ratio2 /= mu
                ratio2 *= ratio2
                at = np.take_along_axis(ratio2, col, axis=0)
                weighted = np.einsum("nm,nm->m", mu_prev, ratio2)
                weighted -= (d * np.take_along_axis(mu_prev, col, axis=0) * at).sum(axis=0)
                plain = ratio2.sum(axis=0) - (d * at).sum(axis=0)
                df = n - zero_prior - rank
                pearson = gamma * weighted
                phi = np.maximum(np.where(df > 0, pearson / np.maximum(df, 1), np.nan), 1.0)
                # See _Fitter._finish: R's summary reads the prior weights as working weights.
                dispersion = gamma * plain / df
        g = self.design.current
        inv_w = 1.0 / fit.sum_w[g]
        var0 = inv_w
        if trend:
            centre = fit.sum_wt[g] * inv_w
            var0 = inv_w + (self.tau0 - centre) ** 2 / fit.schur
        eta0 = fit.level[g] + (fit.trend * self.tau0 if trend else 0.0)
        nan = np.full(m, np.nan)
        model = _Model(
            ok=np.ones(m, bool),
            has_trend=np.full(m, trend),
            eta0=eta0,
            var0=var0,
            dispersion=dispersion,
            phi=phi,
            slope=fit.trend if trend else nan,
            slope_var=1.0 / fit.schur if trend else nan.copy(),
            df_residual=np.asarray(df, dtype=float),
        )
        return model, inexact

    def _refit(self, data: _Data, removed: Removed, trend: bool) -> RunsFit:
        """The reweighted fit, models grouped by how many weeks they down-weight.

        Per-week corrections cost as much as the widest model of a group: a few models with
        many down-weighted weeks (outbreaks) must not slow down all the others.
        """
        count = np.count_nonzero(removed.d, axis=0)
        bucket = np.ceil(np.log2(np.maximum(count, 1))).astype(int)
        out: RunsFit | None = None
        for level in np.unique(bucket):
            rows = np.flatnonzero(bucket == level)
            width = max(int(count[rows].max()), 1)
            sub = removed.rows(rows, width)
            part = fit_runs_glm(self.layout, self._sums(data, sub, rows), trend, sub)
            if out is None:
                out = part.allocate(len(count))
            out.put(rows, part)
        assert out is not None
        return out

    def _hat_bound(self, fit: RunsFit, trend: bool) -> np.ndarray:
        """(m,) an upper bound of the hat values ``w x (X'WX)⁻¹ x'`` (1 where unknown)."""
        lay = self.layout
        inv_w = 1.0 / fit.sum_w[lay.group]
        eta = fit.level_prev[lay.group]
        quad = inv_w
        if trend:
            far = lay.span[:, None] * fit.trend_prev
            eta = eta + lay.alpha[:, None] * fit.trend_prev + np.maximum(far, 0.0)
            centre = fit.sum_wt[lay.group] * inv_w
            first, last = lay.alpha[:, None], (lay.alpha + lay.span)[:, None]
            ends = np.maximum((first - centre) ** 2, (last - centre) ** 2)
            quad = quad + ends / fit.schur
        with np.errstate(over="ignore", invalid="ignore"):
            bound = (np.exp(eta) * quad).max(axis=0)
        bound[fit.iterations == 1] = 1.0
        return np.where(bound < 1.0, bound, 1.0)

    def _downweight(
        self,
        data: _Data,
        fit: RunsFit,
        mu: np.ndarray,
        mu_prev: np.ndarray,
        resid: np.ndarray,
        ratio2: np.ndarray,
        phi: np.ndarray,
        trend: bool,
    ) -> tuple[Removed, np.ndarray]:
        """The weeks whose Anscombe residual exceeds the threshold, and their weights.

        R's residual ``s = 3/2 (y^{2/3} μ^{-1/6} − μ^{1/2}) / sqrt(φ (1 − h))`` is computed only
        where it can exceed the threshold: by concavity of ``y^{2/3}`` that needs ``y > μ`` and
        ``(y − μ)² > thr² φ (1 − h) μ``, checked with an upper bound of ``h`` (``ratio2`` is
        ``((y − μ) / μ)²``).
        """
        n, m = mu.shape
        thr = self.weights_threshold
        floor = thr * thr * phi * (1.0 - self._hat_bound(fit, trend)) * (1.0 - 1e-6)
        with np.errstate(invalid="ignore"):
            maybe = ratio2 * mu > floor
        cols, rows = np.divmod(np.flatnonzero(maybe), m)  # faster than nonzero in 2-D
        keep = resid[cols, rows] > 0.0
        order = np.argsort(rows[keep], kind="stable")
        rows, cols = rows[keep][order], cols[keep][order]
        group = self.group_of[cols]
        inv_w = 1.0 / fit.sum_w[group, rows]
        quad = inv_w
        if trend:
            centre = fit.sum_wt[group, rows] * inv_w
            quad = quad + (self.tau[cols] - centre) ** 2 / fit.schur[rows]
        hat = mu_prev[cols, rows] * quad
        hat[hat > 1.0 - 10.0 * MACHINE_EPSILON] = 1.0
        root = np.sqrt(mu[cols, rows])
        y23 = data.y[cols, rows] ** (2.0 / 3.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = 1.5 * (y23 / np.cbrt(root) - root) / np.sqrt(phi[rows] * (1.0 - hat))
            over = s > thr
            rows, cols, inverse = rows[over], cols[over], s[over] ** -2.0
        count = np.bincount(rows, minlength=m)
        width = max(int(count.max(initial=0)), 1)
        place = np.arange(len(rows)) - (np.cumsum(count) - count)[rows]
        column = np.zeros((width, m), np.intp)
        d = np.zeros((width, m))
        column[place, rows] = cols
        d[place, rows] = 1.0 - inverse
        kept = (n - count) + np.bincount(rows, weights=inverse, minlength=m)
        gamma = n / kept
        zero_prior = np.bincount(rows, weights=inverse == 0.0, minlength=m)
        return Removed.build(column, d, gamma, self.layout), zero_prior
