"""The vectorised engine: batches equal single runs, the IRLS equals a plain one, quantiles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import hopia.surveillance as surveillance
from hopia.surveillance import NOUFAILY_2013, detect, farrington_design, farrington_flexible
from hopia.surveillance._glm import fit_grouped_glm
from hopia.surveillance._quantiles import qnbinom, qpois


def test_all_is_honest() -> None:
    for name in surveillance.__all__:
        assert hasattr(surveillance, name), name
    public = {n for n in dir(surveillance) if not n.startswith("_")}
    assert set(surveillance.__all__) <= public


def test_batch_of_series_equals_one_by_one() -> None:
    rng = np.random.default_rng(4)
    weeks = np.arange(330)
    counts = rng.poisson(6 * np.exp(0.6 * np.cos(2 * np.pi * weeks / 52)), size=(3, weeks.size))
    counts[1, 300:303] += 25
    batch = farrington_flexible(counts, **NOUFAILY_2013)
    for row in range(3):
        single = farrington_flexible(counts[row], **NOUFAILY_2013)
        np.testing.assert_array_equal(batch.alarm[row], single.alarm)
        np.testing.assert_array_equal(batch.upperbound[row], single.upperbound)
    assert batch.alarm[1, 300] == 1.0
    for method in ("ears-c3", "cusum", "serfling"):
        many = detect(counts, method)
        one = detect(counts[2], method)
        np.testing.assert_allclose(many.upperbound[2], one.upperbound, rtol=1e-12)


def _plain_irls(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's glm.fit for a quasi-Poisson log-link model, written the textbook way."""
    mu = y + 0.1
    eta = np.log(mu)

    def dev(m: np.ndarray) -> float:
        safe = np.where(y > 0, y, 1.0)
        return 2 * np.sum(w * (np.where(y > 0, y * np.log(safe / m), 0) - (y - m)))

    dev_old = dev(mu)
    for _ in range(25):
        weights = w * mu
        z = eta + (y - mu) / mu
        beta = np.linalg.solve((x.T * weights) @ x, (x.T * weights) @ z)
        eta = x @ beta
        mu = np.exp(eta)
        new = dev(mu)
        if abs(new - dev_old) / (abs(new) + 0.1) < 1e-8:
            break
        dev_old = new
    return mu, weights


def test_grouped_irls_equals_plain_irls() -> None:
    rng = np.random.default_rng(9)
    design = farrington_design(52, 5, 3, no_periods=10, past_weeks_not_included=26)
    y = rng.poisson(4.0, size=(5, len(design.offsets))).astype(float)
    prior = rng.uniform(0.2, 1.5, size=y.shape)
    tau = design.offsets - design.offsets.mean()
    fit = fit_grouped_glm(y, design.group_starts, tau, prior=prior)
    dummies = (design.group_of[:, None] == np.arange(len(design.group_starts))).astype(float)
    x = np.column_stack([dummies, tau])
    for row in range(5):
        mu, weights = _plain_irls(x, y[row], prior[row])
        np.testing.assert_allclose(fit.mu[row], mu, rtol=1e-10)
        np.testing.assert_allclose(fit.working_weights[row], weights, rtol=1e-10)
        hat = weights * np.einsum("ij,jk,ik->i", x, np.linalg.inv((x.T * weights) @ x), x)
        np.testing.assert_allclose(fit.leverage(design.group_of, tau)[row], hat, rtol=1e-8)
    assert fit.converged.all()


def test_quantiles_match_scipy() -> None:
    rng = np.random.default_rng(2)
    means = np.r_[rng.gamma(1.0, 30.0, 200), 0.0, 1e-9, 2e5]
    np.testing.assert_array_equal(qpois(0.95, means), stats.poisson.ppf(0.95, means))
    size, prob = rng.gamma(1.0, 5.0, 200), rng.uniform(0.001, 0.9, 200)
    np.testing.assert_array_equal(qnbinom(0.95, size, prob), stats.nbinom.ppf(0.95, size, prob))


@pytest.mark.parametrize("method", surveillance.METHODS)
def test_every_method_flags_a_planted_spike(method: str) -> None:
    rng = np.random.default_rng(12)
    weeks = np.arange(6 * 52)
    counts = rng.poisson(20 + 5 * np.sin(2 * np.pi * weeks / 52)).astype(float)
    # R's C3 bound is y_t + sd (z - lags): only the two previous weeks' excess can raise it.
    counts[-3 if method == "ears-c3" else -1 :] = 80
    result = detect(counts, method)
    assert result.monitored[-1] and result.alarm[-1] == 1.0
    assert np.nanmean(result.alarm[result.monitored][:-5]) < 0.2


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        detect(np.ones(10), "ears-c4")
    with pytest.raises(ValueError, match="start at t >= 264"):
        farrington_flexible(np.ones(400), monitor_from=100)
    with pytest.raises(ValueError, match="non-negative"):
        farrington_flexible(np.r_[np.ones(300), -1.0])
