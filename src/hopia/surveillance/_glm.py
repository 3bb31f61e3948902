"""Quasi-Poisson GLMs with a log link, many at once, iterated exactly as R's ``glm.fit``.

Every model Farrington's method fits has the same shape: one level per season group (a
factor; a single level when there is no factor) plus, optionally, a linear time trend. With
the observations of each group stored side by side, the weighted least-squares step of the
iteratively reweighted least squares (IRLS) reduces to sums per group, so thousands of
models (one per monitored week and per series) advance together in a few array operations.

The iterations copy R's ``glm.fit`` on purpose, not just its optimum: the start
(``mustart = y + 0.1``), the convergence test on the relative change of the deviance
(``epsilon = 1e-8``, ``maxit = 25``), the lower clip of the mean at machine epsilon, and
the fact that R's hat values, dispersion and covariance use the working weights of the
*last* least-squares step, computed from the mean before the final update. Matching those
details is what makes the thresholds equal to R's to 1e-6 and makes the same models fail
to converge (an all-zero baseline of 237 weeks does, one of 35 weeks does not).

Examples
--------
>>> import numpy as np
>>> y = np.array([[2.0, 3.0, 5.0, 4.0, 6.0, 7.0]])
>>> fit = fit_grouped_glm(y, np.array([0]), np.arange(6.0) - 2.5)
>>> bool(fit.converged[0]), round(float(fit.trend[0]), 4)
(True, 0.2155)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MACHINE_EPSILON = float(np.finfo(float).eps)
LOG_EPSILON = float(np.log(MACHINE_EPSILON))


@dataclass
class GroupedFit:
    """The state R keeps of a fitted ``glm`` object, for ``m`` models of ``n`` observations.

    Attributes
    ----------
    level : (m, G) log-mean of each group at ``tau = 0`` (R's intercept and factor effects).
    trend : (m,) slope per time unit (0 when the model has no trend).
    eta, mu : (m, n) linear predictor and fitted mean (``mu`` clipped at machine epsilon).
    working_weights : (m, n) IRLS weights of the last least-squares step.
    sum_w, sum_wt : (m, G) per-group sums of those weights and of weights × tau.
    sum_wtt : (m,) sum of weights × tau².
    converged : (m,) whether the deviance test passed within ``maxit`` iterations.
    iterations : (m,) iterations done.
    df_residual : (m,) observations with a positive prior weight minus parameters.
    dispersion : (m,) Pearson estimate ``summary.glm`` reports (not floored at 1).
    """

    level: np.ndarray
    trend: np.ndarray
    eta: np.ndarray
    mu: np.ndarray
    working_weights: np.ndarray
    sum_w: np.ndarray
    sum_wt: np.ndarray
    sum_wtt: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    df_residual: np.ndarray
    dispersion: np.ndarray

    @property
    def schur(self) -> np.ndarray:
        """(m,) ``Σ w τ² − Σ_g (Σ_g w τ)² / Σ_g w``: the trend's precision (1/variance unscaled)."""
        return self.sum_wtt - (self.sum_wt**2 / self.sum_w).sum(axis=1)

    def leverage(self, group_of: np.ndarray, tau: np.ndarray | None) -> np.ndarray:
        """(m, n) hat values ``w x (X'WX)⁻¹ x'`` with R's rounding of values next to 1."""
        inv_w = 1.0 / self.sum_w
        quad = inv_w[:, group_of]
        if tau is not None:
            centre = (self.sum_wt * inv_w)[:, group_of]
            quad = quad + (tau[None, :] - centre) ** 2 / self.schur[:, None]
        hat = self.working_weights * quad
        hat[hat > 1.0 - 10.0 * MACHINE_EPSILON] = 1.0
        return hat

    def link_variance(self, group: int, tau0: float | None) -> np.ndarray:
        """(m,) unscaled variance of the linear predictor at level ``group`` and time ``tau0``."""
        inv_w = 1.0 / self.sum_w[:, group]
        if tau0 is None:
            return inv_w
        centre = self.sum_wt[:, group] * inv_w
        return inv_w + (tau0 - centre) ** 2 / self.schur


def _deviance(
    y: np.ndarray, ylogy: np.ndarray, mu: np.ndarray, prior: np.ndarray | None
) -> np.ndarray:
    """Quasi-Poisson deviance per model: ``2 Σ w (y log(y/μ) − (y − μ))``."""
    resid = ylogy - y * np.log(mu) - y + mu
    if prior is not None:
        resid *= prior
    return 2.0 * resid.sum(axis=1)


def fit_grouped_glm(
    y: np.ndarray,
    group_starts: np.ndarray,
    tau: np.ndarray | None,
    prior: np.ndarray | None = None,
    *,
    maxit: int = 25,
    epsilon: float = 1e-8,
) -> GroupedFit:
    """Fit ``log μ = level[group] + trend·τ`` to each row of ``y`` by R's IRLS.

    Parameters
    ----------
    y : (m, n) counts; the observations of each group are contiguous columns.
    group_starts : (G,) first column of each group (``group_starts[0] == 0``).
    tau : (n,) time of each column (centred for accuracy), or None for no trend.
    prior : (m, n) prior weights (R's ``weights``), or None for ones.
    maxit, epsilon : R's ``glm.control`` defaults.

    Returns
    -------
    GroupedFit

    Examples
    --------
    >>> y = np.array([[0.0, 1.0, 4.0, 5.0]])
    >>> fit = fit_grouped_glm(y, np.array([0, 2]), None)
    >>> np.round(fit.mu, 6).tolist()
    [[0.5, 0.5, 4.5, 4.5]]
    """
    y = np.asarray(y, dtype=float)
    m, n = y.shape
    starts = np.asarray(group_starts, dtype=np.intp)
    sizes = np.diff(np.append(starts, n))
    group_of = np.repeat(np.arange(len(starts)), sizes)
    n_groups = len(starts)
    # Indicator columns turn every per-group sum into one matrix product.
    indicator = np.zeros((n, n_groups))
    indicator[np.arange(n), group_of] = 1.0
    if tau is not None:
        tau = np.asarray(tau, dtype=float)
        sums_w = np.hstack([indicator, indicator * tau[:, None], (tau**2)[:, None]])
        sums_z = np.hstack([indicator, tau[:, None]])
    else:
        sums_w = indicator
        sums_z = indicator
    ylogy = np.zeros_like(y)
    positive = y > 0
    ylogy[positive] = y[positive] * np.log(y[positive])

    # State of every model (rows) — frozen once converged.
    eta = np.log(y + 0.1)
    mu = np.maximum(np.exp(eta), MACHINE_EPSILON)
    level = np.zeros((m, n_groups))
    trend = np.zeros(m)
    working = np.zeros_like(y)
    sum_w = np.zeros((m, n_groups))
    sum_wt = np.zeros((m, n_groups))
    sum_wtt = np.zeros(m)
    converged = np.zeros(m, dtype=bool)
    iterations = np.zeros(m, dtype=np.intp)
    dev_old = _deviance(y, ylogy, mu, prior)

    active = np.arange(m)
    for iteration in range(1, maxit + 1):
        if active.size == 0:
            break
        ya, eta_a, mu_a = y[active], eta[active], mu[active]
        pa = None if prior is None else prior[active]
        w = mu_a if pa is None else pa * mu_a
        # W z = prior (μ η + y − μ): the working response times the working weight.
        wz = mu_a * eta_a + (ya - mu_a) if pa is None else pa * (mu_a * eta_a + ya - mu_a)
        s_w = w @ sums_w
        s_z = wz @ sums_z
        a_w = s_w[:, :n_groups]
        d_z = s_z[:, :n_groups]
        if tau is not None:
            b_w = s_w[:, n_groups : 2 * n_groups]
            c_w = s_w[:, 2 * n_groups]
            e_z = s_z[:, n_groups]
            schur = c_w - (b_w**2 / a_w).sum(axis=1)
            slope = (e_z - (b_w * d_z / a_w).sum(axis=1)) / schur
            lev = (d_z - b_w * slope[:, None]) / a_w
            new_eta = lev[:, group_of] + slope[:, None] * tau[None, :]
        else:
            b_w = np.zeros_like(a_w)
            c_w = np.zeros(len(active))
            slope = np.zeros(len(active))
            lev = d_z / a_w
            new_eta = lev[:, group_of]
        new_mu = np.maximum(np.exp(new_eta), MACHINE_EPSILON)
        dev = _deviance(ya, ylogy[active], new_mu, pa)

        eta[active], mu[active] = new_eta, new_mu
        level[active], trend[active] = lev, slope
        working[active] = w
        sum_w[active], sum_wt[active], sum_wtt[active] = a_w, b_w, c_w
        iterations[active] = iteration
        with np.errstate(invalid="ignore"):
            done = np.abs(dev - dev_old[active]) / (np.abs(dev) + 0.1) < epsilon
        # A deviance that is not finite ends the model unconverged (R would halve the step,
        # which only happens for data no surveillance series produces).
        broken = ~np.isfinite(dev)
        converged[active[done]] = True
        dev_old[active] = dev
        active = active[~done & ~broken]

    n_ok = np.count_nonzero(prior > 0, axis=1) if prior is not None else np.full(m, n)
    rank = n_groups + (1 if tau is not None else 0)
    df_residual = n_ok - rank
    pearson = (working * ((y - mu) / mu) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        dispersion = np.where(df_residual > 0, pearson / np.maximum(df_residual, 1), np.nan)
    return GroupedFit(
        level=level,
        trend=trend,
        eta=eta,
        mu=mu,
        working_weights=working,
        sum_w=sum_w,
        sum_wt=sum_wt,
        sum_wtt=sum_wtt,
        converged=converged,
        iterations=iterations,
        df_residual=df_residual,
        dispersion=dispersion,
    )


def fit_poisson_glm(
    design: np.ndarray, y: np.ndarray, *, maxit: int = 25, epsilon: float = 1e-8
) -> np.ndarray:
    """Coefficients of a Poisson GLM with log link for any design, iterated as R's ``glm.fit``.

    Examples
    --------
    >>> x = np.column_stack([np.ones(4), np.arange(4.0)])
    >>> np.round(fit_poisson_glm(x, np.array([1.0, 2.0, 4.0, 8.0])), 3).tolist()
    [0.0, 0.693]
    """
    y = np.asarray(y, dtype=float)
    ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    eta = np.log(y + 0.1)
    mu = np.maximum(np.exp(eta), MACHINE_EPSILON)
    dev_old = _deviance(y[None], ylogy[None], mu[None], None)[0]
    coef = np.zeros(design.shape[1])
    for _ in range(maxit):
        root = np.sqrt(mu)
        z = eta + (y - mu) / mu
        coef = np.linalg.lstsq(design * root[:, None], z * root, rcond=None)[0]
        eta = design @ coef
        mu = np.maximum(np.exp(eta), MACHINE_EPSILON)
        dev = _deviance(y[None], ylogy[None], mu[None], None)[0]
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            break
        dev_old = dev
    return coef
