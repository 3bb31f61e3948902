"""The closed-form IRLS over runs of weeks equals the week-by-week one (and so R's)."""

from __future__ import annotations

import numpy as np
import pytest

import hopia.surveillance._farrington as farrington
from hopia.surveillance import FARRINGTON_1996, NOUFAILY_2013, farrington_design
from hopia.surveillance._farrington_runs import RunsFitter, SeriesSums, _Model
from hopia.surveillance._glm import fit_grouped_glm
from hopia.surveillance._glm_runs import (
    BaselineSums,
    RunLayout,
    fit_runs_glm,
    means,
    run_sums,
    weighted_sum,
)


def _series() -> np.ndarray:
    rng = np.random.default_rng(12)
    weeks = np.arange(420)
    season = np.exp(0.7 * np.cos(2 * np.pi * weeks / 52))
    counts = rng.negative_binomial(5, 5 / (5 + 12 * season), size=(5, weeks.size)).astype(float)
    counts[1, 280:284] *= 4  # an outbreak
    counts[2] = rng.poisson(0.4, weeks.size)  # sparse
    counts[3, :330] = 0  # a long all-zero stretch (R's IRLS fails on it)
    counts[4] = rng.poisson(3 * np.exp(weeks / 150))  # a trend
    return counts


@pytest.mark.parametrize("preset", [NOUFAILY_2013, FARRINGTON_1996], ids=["noufaily", "1996"])
def test_closed_form_equals_week_by_week(preset: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    counts = _series()
    calls = {"models": 0, "inexact": 0}
    fast_fit = RunsFitter.fit

    def counting(self, data, trend):  # type: ignore[no-untyped-def]
        model, inexact = fast_fit(self, data, trend)
        calls["models"] += data.y.shape[1]
        calls["inexact"] += int(inexact.sum())
        return model, inexact

    monkeypatch.setattr(RunsFitter, "fit", counting)
    fast = farrington.farrington_flexible(counts, **preset)
    # Every model flagged: the week-by-week IRLS fits them all.
    monkeypatch.setattr(
        RunsFitter,
        "fit",
        lambda self, data, trend: (_Model.empty(data.y.shape[1]), np.ones(data.y.shape[1], bool)),
    )
    slow = farrington.farrington_flexible(counts, **preset)
    assert calls["inexact"] < calls["models"] / 5  # most models took the closed form
    np.testing.assert_array_equal(np.isnan(fast.upperbound), np.isnan(slow.upperbound))
    np.testing.assert_array_equal(fast.alarm, slow.alarm)
    both = ~np.isnan(fast.upperbound)
    np.testing.assert_allclose(fast.upperbound[both], slow.upperbound[both], rtol=1e-9)


def test_run_sums_and_means_equal_plain_sums() -> None:
    design = farrington_design(52, 5, 3, no_periods=10, past_weeks_not_included=26)
    tau = design.offsets - design.offsets.mean()
    layout = RunLayout.from_offsets(tau, design.group_of, 52)
    assert layout.families == 11  # 10 groups, one of them cut by the excluded weeks
    rng = np.random.default_rng(3)
    level = rng.normal(1.5, 0.5, (layout.n_groups, 4))
    slope = rng.normal(0.0, 0.01, 4)
    mu = np.exp(level[design.group_of] + tau[:, None] * slope)
    np.testing.assert_allclose(means(layout, level, slope), mu, rtol=1e-13)
    a, b, c, inexact = run_sums(layout, level, slope)
    onehot = np.eye(layout.n_groups)[design.group_of]
    np.testing.assert_allclose(a, onehot.T @ mu, rtol=1e-12)
    np.testing.assert_allclose(b, onehot.T @ (mu * tau[:, None]), rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(c, (mu * tau[:, None] ** 2).sum(axis=0), rtol=1e-12)
    assert not inexact.any()
    values = rng.gamma(2.0, 1.0, mu.shape)
    np.testing.assert_allclose(weighted_sum(layout, level, slope, values), (mu * values).sum(0))
    flat = np.exp(level[design.group_of])
    np.testing.assert_allclose(weighted_sum(layout, level, None, values), (flat * values).sum(0))
    # A mean R would clip at machine epsilon is flagged.
    level[0, 0] = -40.0
    assert run_sums(layout, level, slope)[3].tolist() == [True, False, False, False]


def test_runs_irls_equals_grouped_irls() -> None:
    design = farrington_design(52, 5, 3, no_periods=10, past_weeks_not_included=26)
    tau = design.offsets - design.offsets.mean()
    layout = RunLayout.from_offsets(tau, design.group_of, 52)
    y = np.random.default_rng(5).poisson(7.0, (6, len(tau))).astype(float)
    reference = fit_grouped_glm(y, design.group_starts, tau)
    onehot = np.eye(layout.n_groups)[design.group_of]
    u = y + 0.1
    h = u * np.log(u)
    ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    sums = BaselineSums(
        w_g=np.repeat(onehot.sum(axis=0)[:, None], 6, axis=1),
        wt_g=np.repeat((onehot.T @ tau)[:, None], 6, axis=1),
        wtt=np.full(6, tau @ tau),
        y_g=onehot.T @ y.T,
        yt_g=onehot.T @ (y * tau).T,
        ytt=(y * tau**2).sum(axis=1),
        h_g=onehot.T @ h.T,
        ht=(h * tau).sum(axis=1),
        ylogy=ylogy.sum(axis=1),
        dev0=2 * (ylogy - y * np.log(u) + 0.1).sum(axis=1),
    )
    fit = fit_runs_glm(layout, sums, trend=True)
    assert fit.converged.all() and not fit.inexact.any()
    np.testing.assert_array_equal(fit.iterations, reference.iterations)
    np.testing.assert_allclose(fit.trend, reference.trend, rtol=1e-9)
    np.testing.assert_allclose(fit.level.T, reference.level, rtol=1e-10)
    np.testing.assert_allclose(fit.sum_w.T, reference.sum_w, rtol=1e-10)


def test_per_group_residual_sums_equal_week_by_week() -> None:
    """The sums of squared residuals R's dispersion needs, per group or lattice, week by week."""
    design = farrington_design(52, 5, 3, no_periods=10, past_weeks_not_included=26)
    fitter = RunsFitter(design, 52, reweight=True, weights_threshold=2.58)
    counts = np.random.default_rng(8).negative_binomial(3, 0.3, (2, 320)).astype(float)
    week = np.arange(design.history, 320)
    series = np.repeat([0, 1], week.size)
    week = np.tile(week, 2)
    y = counts.ravel()[design.offsets.astype(int)[:, None] + series * 320 + week]
    data = fitter.prepare(y, SeriesSums(counts), series, week)
    for trend in (False, True):
        fit = fit_runs_glm(fitter.layout, fitter._sums(data, None), trend)
        fit.iterations[:3] = 1  # as if converged at once: R's start y + 0.1 is the weight
        slope, slope_prev = (fit.trend, fit.trend_prev) if trend else (None, None)
        mu = means(fitter.layout, fit.level, slope)
        prev = means(fitter.layout, fit.level_prev, slope_prev)
        prev[:, :3] = y[:, :3] + 0.1
        ratio2 = ((y - mu) / mu) ** 2
        weighted = fitter._prev_weighted(data, fit, trend, ratio2)
        np.testing.assert_allclose(weighted, (prev * ratio2).sum(axis=0), rtol=1e-12)
        cols = np.array([[0, 5, 236]] * y.shape[1]).T
        rows = np.broadcast_to(np.arange(y.shape[1]), cols.shape)
        np.testing.assert_allclose(
            fitter._prev_at(data, fit, trend, cols, rows), prev[cols, rows], rtol=1e-13
        )
        if not trend:
            flat = fitter._flat_sum(data, fit, prev=True)
            np.testing.assert_allclose(flat, (prev * ratio2).sum(axis=0), rtol=1e-12)
            plain = fitter._flat_sum(data, fit, prev=False)
            np.testing.assert_allclose(plain, ratio2.sum(axis=0), rtol=1e-12)
