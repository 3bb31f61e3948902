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
>>> data = fitter.prepare(y, SeriesSums(counts), np.zeros(week.size, int), week)
>>> model, inexact = fitter.fit(data, True)
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
    weighted_sum,
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
        # One row of four running sums per (series, week): a run's sums are two row look-ups.
        running = np.zeros((len(counts), self.width, len(parts)))
        for i, x in enumerate(parts):
            np.cumsum(x, axis=1, out=running[:, 1:, i])
        self.running = running.reshape(-1, len(parts))


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
        at_end = np.take(sums.running, last, axis=0)  # faster than sums.running[last]
        at_end -= np.take(sums.running, first, axis=0)
        h, ht, ylogy, ylogu = np.moveaxis(at_end, -1, 0)
        # Σ h τ over a run = τ(first week) Σ h + Σ h (t − t_first).
        ht = h * fitter.run_tau[:, None] + ht - (fitter.run_start[:, None] + week) * h
        self.h_g = fitter.run_group.T @ h
        self.ht = ht.sum(axis=0)
        self.ylogy_sum = ylogy.sum(axis=0)
        self.ylogu_sum = ylogu.sum(axis=0)

    def within(self, bounds: list[tuple[int, int]]) -> np.ndarray:
        """(G, m) sum of squares of the counts about their group mean (groups as ``bounds``)."""
        if "_within" not in vars(self):
            out = np.empty((len(bounds), self.y.shape[1]))
            for g, (first, last) in enumerate(bounds):
                part = self.y[first:last]
                part = part - part.mean(axis=0)
                np.einsum("nm,nm->m", part, part, out=out[g])
            self._within = out
        return self._within

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
        bounds = np.append(design.group_starts, len(offsets))
        self.group_bounds = list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))

    def prepare(
        self, y: np.ndarray, sums: SeriesSums, series: np.ndarray, week: np.ndarray
    ) -> _Data:
        """The batch of baselines to fit, and their sums that every fit shares.

        Parameters
        ----------
        y : (n, m) baselines, models last (rows as the design's offsets).
        sums, series, week : the series' running sums, and which series and week (0-based)
            each model watches.
        """
        return _Data(self, y, sums, series, week)

    def fit(self, data: _Data, trend: bool) -> tuple[_Model, np.ndarray]:
        """Fit with (then, where it fails, without) trend, reweight and refit.

        Parameters
        ----------
        data : the batch (:meth:`prepare`, or a subset of it by ``data.rows``).
        trend : offer a trend.

        Returns
        -------
        The models, and a mask of those to refit week by week.
        """
        return self._fit(data, trend)

    def _fit(self, data: _Data, trend: bool) -> tuple[_Model, np.ndarray]:
        m = data.y.shape[1]
        out = _Model.empty(m)
        inexact = np.zeros(m, bool)
        first = fit_runs_glm(self.layout, self._sums(data, None), trend)
        inexact |= first.inexact
        done = np.flatnonzero(first.converged & ~first.inexact)
        if done.size == m:  # the usual case: no copies
            out, bad = self._finish(data, first, trend)
            inexact |= bad
        elif done.size:
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

    def _mean(self, fit: RunsFit, trend: bool, out: np.ndarray | None = None) -> np.ndarray:
        """(n, m) fitted means (into ``out``)."""
        return means(self.layout, fit.level, fit.trend if trend else None, out)

    def _prev_weighted(
        self, data: _Data, fit: RunsFit, trend: bool, values: np.ndarray
    ) -> np.ndarray:
        """(m,) ``Σ_i μ'_i values_i``, ``μ'`` the means behind the last working weights."""
        slope = fit.trend_prev if trend else None
        total = weighted_sum(self.layout, fit.level_prev, slope, values)
        first = np.flatnonzero(fit.iterations == 1)  # R's start: μ' = y + 0.1
        if first.size:
            start = data.y[:, first] + 0.1
            total[first] = np.einsum("nm,nm->m", start, values[:, first])
        return total

    def _prev_at(
        self, data: _Data, fit: RunsFit, trend: bool, cols: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """``μ'`` (see :meth:`_prev_weighted`) of baseline week ``cols`` of models ``rows``."""
        eta = fit.level_prev[self.group_of[cols], rows]
        if trend:
            eta += fit.trend_prev[rows] * self.tau[cols]
        with np.errstate(over="ignore"):
            out = np.exp(eta)
        first = fit.iterations[rows] == 1
        if first.any():
            out[first] = data.y[cols[first], rows[first]] + 0.1
        return out

    def _flat_sum(self, data: _Data, fit: RunsFit, prev: bool) -> np.ndarray:
        """(m,) ``Σ_i w_i ((y_i − μ_g) / μ_g)²`` of a model without trend, from sums per group.

        ``w`` is ``μ'`` (see :meth:`_prev_weighted`) if ``prev``, else 1. Per group,
        ``Σ (y − μ)² = W + n (ȳ − μ)²`` with ``W`` the counts' sum of squares about their mean.
        """
        mu = np.exp(fit.level)
        mean = data.y_g / self.n_g[:, None]
        squares = data.within(self.group_bounds) + self.n_g[:, None] * (mean - mu) ** 2
        weight = 1.0 / (mu * mu)
        if prev:
            weight *= np.exp(fit.level_prev)
        total = np.einsum("gm,gm->m", weight, squares)
        first = np.flatnonzero(fit.iterations == 1) if prev else []
        if len(first):  # R's start: μ' = y + 0.1
            y, mu_first = data.y[:, first], mu[:, first][self.group_of]
            ratio2 = (y - mu_first) / mu_first
            total[first] = np.einsum("nm,nm->m", y + 0.1, ratio2 * ratio2)
        return total

    def _finish(self, data: _Data, fit: RunsFit, trend: bool) -> tuple[_Model, np.ndarray]:
        n, m = data.y.shape
        y = data.y
        rank = self.layout.n_groups + (1 if trend else 0)
        mu = ratio2 = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if trend:
                mu = self._mean(fit, trend)
                ratio2 = np.subtract(y, mu)
                ratio2 /= mu
                ratio2 *= ratio2
                pearson = self._prev_weighted(data, fit, trend, ratio2)
            else:  # the mean is constant within each group: sums per group
                pearson = self._flat_sum(data, fit, prev=True)
        df = np.full(m, n - rank)
        dispersion = np.where(df > 0, pearson / np.maximum(df, 1), np.nan)
        phi = np.maximum(dispersion, 1.0)
        inexact = np.zeros(m, bool)
        if self.reweight:
            removed, zero_prior = self._downweight(data, fit, mu, ratio2, phi, trend)
            fit = self._refit(data, removed, trend)
            inexact |= fit.inexact
            col, d, gamma = removed.column, removed.d, removed.gamma
            model = np.broadcast_to(np.arange(m), col.shape)
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                if trend:
                    mu = self._mean(fit, trend, out=mu)
                    np.subtract(y, mu, out=ratio2)
                    ratio2 /= mu
                    ratio2 *= ratio2
                    at = np.take_along_axis(ratio2, col, axis=0)
                    weighted = self._prev_weighted(data, fit, trend, ratio2)
                    plain = ratio2.sum(axis=0)
                else:
                    mu_at = np.exp(fit.level[self.group_of[col], model])
                    at = (y[col, model] - mu_at) / mu_at
                    at *= at
                    weighted = self._flat_sum(data, fit, prev=True)
                    plain = self._flat_sum(data, fit, prev=False)
                weighted -= (d * self._prev_at(data, fit, trend, col, model) * at).sum(axis=0)
                plain -= (d * at).sum(axis=0)
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
        mu: np.ndarray | None,
        ratio2: np.ndarray | None,
        phi: np.ndarray,
        trend: bool,
    ) -> tuple[Removed, np.ndarray]:
        """The weeks whose Anscombe residual exceeds the threshold, and their weights.

        R's residual ``s = 3/2 (y^{2/3} μ^{-1/6} − μ^{1/2}) / sqrt(φ (1 − h))`` is computed only
        where it can exceed the threshold: by concavity of ``y^{2/3}`` that needs ``y > μ`` and
        ``(y − μ)² > thr² φ (1 − h) μ``, checked with an upper bound of ``h``. With a trend,
        ``mu`` and ``ratio2`` are the means and ``((y − μ) / μ)²`` (overwritten); without, None.
        """
        n, m = data.y.shape
        thr = self.weights_threshold
        floor = thr * thr * phi * (1.0 - self._hat_bound(fit, trend)) * (1.0 - 1e-6)
        with np.errstate(invalid="ignore"):
            if trend:
                ratio2 *= mu
                maybe = ratio2 > floor
            else:  # the same test per group: y > μ + sqrt(floor μ)
                mu_g = np.exp(fit.level)
                bar = mu_g + np.sqrt(floor * mu_g)
                maybe = np.empty(data.y.shape, bool)
                for g, (first, last) in enumerate(self.group_bounds):
                    np.greater(data.y[first:last], bar[g], out=maybe[first:last])
        # Flat positions (faster than 2-D indices), then sorted by model.
        at = np.flatnonzero(maybe)
        y_at = np.take(data.y, at)
        cell = at if trend else self.group_of[at // m] * m + at % m
        mu_at = np.take(mu if trend else mu_g, cell)
        keep = y_at > mu_at
        at, y_at, mu_at = at[keep], y_at[keep], mu_at[keep]
        cols, rows = np.divmod(at, m)
        order = np.argsort(rows, kind="stable")
        at, rows, cols, y_at, mu_at = at[order], rows[order], cols[order], y_at[order], mu_at[order]
        group = self.group_of[cols]
        cell = group * m + rows
        inv_w = 1.0 / np.take(fit.sum_w, cell)
        quad = inv_w
        if trend:
            centre = np.take(fit.sum_wt, cell) * inv_w
            quad = quad + (self.tau[cols] - centre) ** 2 / fit.schur[rows]
        hat = self._prev_at(data, fit, trend, cols, rows) * quad
        hat[hat > 1.0 - 10.0 * MACHINE_EPSILON] = 1.0
        root = np.sqrt(mu_at)
        y23 = y_at ** (2.0 / 3.0)
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
