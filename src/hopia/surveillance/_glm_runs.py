"""R's IRLS for Farrington's GLMs with every per-group sum in closed form over runs of weeks.

A Farrington baseline is made of *runs* of consecutive weeks, and the same run comes back
every year: the reference window ``k - i·freq ± w`` and each seasonal block is one run per
past year. A model ``log μ = level[group] + slope·τ`` has, on a run starting at ``α`` of
length ``L`` repeated ``n`` times every ``P`` weeks,

    Σ μ τ^p = e^{level + slope·α} Σ_{j<L} Σ_{q<n} (α + j + P q)^p e^{slope·j} e^{slope·P q},

a sum over ``L + n`` exponentials instead of ``L·n`` (``p = 0, 1, 2``). The data enter the
IRLS only through sums fixed for the whole fit (``Σ y``, ``Σ y τ``...), so one iteration of
every model costs a few operations per run family instead of a few per baseline week.

The iterations are R's (see :mod:`hopia.surveillance._glm`): same start, same deviance test,
the working weights of the last least-squares step kept for the variances. The weighted least
squares step is written as the equivalent Newton step (``slope + (Σωyτ − Σ_g B_g Y_g / A_g) /
schur``), which is more accurate than forming the normal equations. Two things the closed
form cannot mimic are flagged for the caller, which then fits those models week by week
(:func:`fit_grouped_glm`): a mean that R would clip at machine epsilon, and a non-finite
sum.

Examples
--------
>>> import numpy as np
>>> layout = RunLayout.from_offsets(np.arange(-12.0, 0.0), np.zeros(12, int), period=52)
>>> layout.families  # one run of 12 weeks
1
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hopia.surveillance._glm import LOG_EPSILON

_OVERFLOW = 700.0  # exp() beyond this is not finite in float64


@dataclass(frozen=True)
class RunLayout:
    """The baseline columns as families of equal runs, repeated every ``period`` weeks.

    Attributes
    ----------
    tau : (n,) centred time of every baseline column (as the design orders them).
    group_of : (n,) season group of every column.
    n_groups : number of groups.
    group : (F,) group of every family.
    alpha : (F,) ``tau`` of the first week of the family's first run.
    length, count : (F,) weeks per run, runs per family.
    period : weeks between two runs of a family.
    """

    tau: np.ndarray
    group_of: np.ndarray
    n_groups: int
    group: np.ndarray
    alpha: np.ndarray
    length: np.ndarray
    count: np.ndarray
    period: int
    # Derived in __post_init__:
    lattice: np.ndarray = field(init=False, repr=False)  # (3F, L·n) τ^p on each family's lattice
    span: np.ndarray = field(init=False, repr=False)  # (F,) last − first τ of each family
    family_group: np.ndarray = field(init=False, repr=False)  # (G, F) group indicator
    sizes: np.ndarray = field(init=False, repr=False)  # (G, 1) weeks per group
    blocks: list[slice | np.ndarray] = field(init=False, repr=False)  # columns of each family

    def __post_init__(self) -> None:
        top_j, top_q = int(self.length.max()), int(self.count.max())
        j = np.arange(top_j, dtype=float)[:, None, None]
        q = np.arange(top_q, dtype=float)[None, :, None]
        inside = (j < self.length) & (q < self.count)
        tau = self.alpha + j + self.period * q
        # T[(j, q), p·F + f] = τ^p on the run lattice of family f (0 outside it).
        powers = [np.where(inside, tau**p, 0.0).reshape(top_j * top_q, -1) for p in range(3)]
        object.__setattr__(self, "lattice", np.ascontiguousarray(np.hstack(powers).T))
        last = self.alpha + (self.length - 1) + self.period * (self.count - 1)
        object.__setattr__(self, "span", last - self.alpha)
        onehot = np.zeros((self.n_groups, len(self.group)))
        onehot[self.group, np.arange(len(self.group))] = 1.0
        object.__setattr__(self, "family_group", onehot)
        object.__setattr__(self, "sizes", np.bincount(self.group_of).astype(float)[:, None])
        column_of = {t: i for i, t in enumerate(self.tau.tolist())}
        blocks: list[slice | np.ndarray] = []
        for f in range(len(self.group)):
            times = self.alpha[f] + self.period * np.arange(self.count[f])[:, None]
            times = times + np.arange(self.length[f])
            columns = np.array([column_of[t] for t in times.ravel().tolist()])
            contiguous = bool(np.all(np.diff(columns) == 1))
            # A family's weeks usually are consecutive columns: then a slice, written in place.
            blocks.append(slice(columns[0], columns[-1] + 1) if contiguous else columns)
        object.__setattr__(self, "blocks", blocks)

    @classmethod
    def from_offsets(cls, tau: np.ndarray, group_of: np.ndarray, period: int) -> RunLayout:
        """Split each group's columns into runs, and runs into yearly families."""
        tau = np.asarray(tau, dtype=float)
        group_of = np.asarray(group_of, dtype=np.intp)
        rows: list[tuple[int, float, int, int]] = []
        for g in np.unique(group_of):
            times = np.sort(tau[group_of == g])
            cuts = np.flatnonzero(np.diff(times) != 1.0) + 1
            runs = [(float(r[0]), len(r)) for r in np.split(times, cuts)]
            while runs:
                start, size = runs.pop(0)
                repeats = 1
                while (start + repeats * period, size) in runs:
                    runs.remove((start + repeats * period, size))
                    repeats += 1
                rows.append((int(g), start, size, repeats))
        group, alpha, length, count = (np.array(c) for c in zip(*rows, strict=True))
        return cls(
            tau=tau,
            group_of=group_of,
            n_groups=int(group_of.max()) + 1,
            group=group.astype(np.intp),
            alpha=alpha.astype(float),
            length=length.astype(np.intp),
            count=count.astype(np.intp),
            period=int(period),
        )

    @property
    def families(self) -> int:
        """Number of run families."""
        return len(self.group)


def means(
    layout: RunLayout,
    level: np.ndarray,
    slope: np.ndarray | None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """(n, m) means ``exp(level[group] + slope·τ)`` of every baseline week, models last.

    Built as products ``e^{level + slope·α} e^{slope·P q} e^{slope·j}`` over each run family.
    ``out``: an (n, m) array to write them into (a new one by default).
    """
    m = level.shape[1]
    if out is None:
        out = np.empty((len(layout.tau), m))
    if slope is None:
        return np.take(np.exp(level), layout.group_of, axis=0, out=out)
    v, rho, e = _run_factors(layout, level, slope)
    for f, columns in enumerate(layout.blocks):
        n_q, n_j = int(layout.count[f]), int(layout.length[f])
        if isinstance(columns, slice):
            block = out[columns].reshape(n_q, n_j, m)
            np.multiply(rho[:n_q, None, :], v[None, :n_j, :], out=block)
            block *= e[f]
        else:
            block = rho[:n_q, None, :] * v[None, :n_j, :]
            block *= e[f]
            out[columns] = block.reshape(-1, m)
    return out


def _run_factors(
    layout: RunLayout, level: np.ndarray, slope: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(v, rho, e)``: the factors of the means of a run family, ``μ = e · rho_q · v_j`` —
    ``e^{slope·j}`` within a run, ``e^{slope·P q}`` between runs and
    ``e^{level + slope·α}`` per family."""
    top_j, top_q = int(layout.length.max()), int(layout.count.max())
    v = np.exp(np.arange(top_j, dtype=float)[:, None] * slope)
    rho = np.exp((layout.period * np.arange(top_q, dtype=float))[:, None] * slope)
    e = np.exp(level[layout.group] + layout.alpha[:, None] * slope)
    return v, rho, e


def weighted_sum(
    layout: RunLayout, level: np.ndarray, slope: np.ndarray | None, values: np.ndarray
) -> np.ndarray:
    """(m,) ``Σ_i μ_i values_i`` over the baseline weeks, without forming the means ``μ``.

    ``values`` is (n, m); ``μ`` as in :func:`means`, whose product form turns the sum over a
    run family into ``e^{level + slope·α} Σ_q e^{slope·P q} Σ_j e^{slope·j} values``.
    """
    m = level.shape[1]
    total = np.zeros(m)
    if slope is None:
        scale = np.exp(level[layout.group])
        for f, columns in enumerate(layout.blocks):
            total += scale[f] * values[columns].sum(axis=0)
        return total
    v, rho, e = _run_factors(layout, level, slope)
    for f, columns in enumerate(layout.blocks):
        n_q, n_j = int(layout.count[f]), int(layout.length[f])
        block = values[columns].reshape(n_q, n_j, m)
        inner = np.einsum("qjm,jm->qm", block, v[:n_j])
        total += e[f] * np.einsum("qm,qm->m", inner, rho[:n_q])
    return total


def run_sums(
    layout: RunLayout, level: np.ndarray, slope: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-group ``Σ μ``, ``Σ μ τ`` and total ``Σ μ τ²`` of the models, and an exactness flag.

    Arrays put the models last (numpy is slow on a short last axis).

    Parameters
    ----------
    layout : the baseline's run families.
    level : (G, m) log-mean of each group at ``tau = 0``.
    slope : (m,) trend, or None for no trend.

    Returns
    -------
    A, B : (G, m); C : (m,); inexact : (m,) True where some ``μ`` would be clipped at machine
        epsilon (or overflow), so the closed form differs from R's week-by-week sums.
    """
    m = level.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        if slope is None:
            inexact = ~(level.min(axis=0) > LOG_EPSILON) | ~(level.max(axis=0) < _OVERFLOW)
            return np.exp(level) * layout.sizes, np.zeros_like(level), np.zeros(m), inexact
        top_j, top_q = int(layout.length.max()), int(layout.count.max())
        v = np.exp(np.arange(top_j, dtype=float)[:, None] * slope)
        rho = np.exp((layout.period * np.arange(top_q, dtype=float))[:, None] * slope)
        lattice = layout.lattice @ (v[:, None, :] * rho[None, :, :]).reshape(-1, m)
        eta = level[layout.group] + layout.alpha[:, None] * slope
        far = layout.span[:, None] * slope
        low = (eta + np.minimum(far, 0.0)).min(axis=0)
        high = (eta + np.maximum(far, 0.0)).max(axis=0)
        inexact = ~(low > LOG_EPSILON) | ~(high < _OVERFLOW)
        e = np.exp(eta)
        f = len(layout.group)
        a = layout.family_group @ (e * lattice[:f])
        b = layout.family_group @ (e * lattice[f : 2 * f])
        c = np.einsum("fm,fm->m", e, lattice[2 * f :])
    return a, b, c, inexact


@dataclass
class Removed:
    """Baseline weeks whose prior weight is ``γ (1 − d)`` instead of ``γ`` (reweighting).

    Attributes
    ----------
    column : (K, m) baseline column of each down-weighted week (padding: any column).
    d : (K, m) weight lost, in (0, 1]; 0 for padding.
    gamma : (m,) the common factor γ.
    n_groups : number of season groups.
    group : (K, m) season group of each entry.
    """

    column: np.ndarray
    d: np.ndarray
    gamma: np.ndarray
    n_groups: int
    group: np.ndarray

    @classmethod
    def build(cls, column: np.ndarray, d: np.ndarray, gamma: np.ndarray, layout: RunLayout):
        return cls(column, d, gamma, layout.n_groups, layout.group_of[column])

    def __post_init__(self) -> None:
        # Flat position of each entry's (group, model) cell in a (G, m) array.
        m = self.d.shape[1]
        self.slot = (self.group * m + np.arange(m)).ravel()

    def per_group(self, values: np.ndarray) -> np.ndarray:
        """(G, m) ``Σ_{removed in g} d · values`` for values (K, m)."""
        m = self.d.shape[1]
        sums = np.bincount(self.slot, (self.d * values).ravel(), minlength=self.n_groups * m)
        return sums.reshape(self.n_groups, m)

    def at_group(self, values: np.ndarray) -> np.ndarray:
        """(K, m) the value of each entry's group in ``values`` (G, m)."""
        return np.take(values, self.slot).reshape(self.d.shape)

    def rows(self, rows: np.ndarray, width: int | None = None) -> Removed:
        """The entries of the models ``rows`` (the first ``width`` of each, default all)."""
        k = slice(None, width)
        return Removed(
            self.column[k, rows],
            self.d[k, rows],
            self.gamma[rows],
            self.n_groups,
            self.group[k, rows],
        )


@dataclass
class BaselineSums:
    """The data's sums that stay fixed during one fit (prior weights ω included), models last.

    ``w*`` are sums of ω, ``y*`` of ω y, ``h*`` of ω (y + 0.1) log(y + 0.1); suffix ``t``
    multiplies by τ, ``tt`` by τ²; ``_g`` arrays are per group (G, m), others per model (m,).
    ``dev0`` is the deviance at R's start ``μ = y + 0.1`` and ``ylogy`` is ``Σ ω y log y``.
    """

    w_g: np.ndarray
    wt_g: np.ndarray
    wtt: np.ndarray
    y_g: np.ndarray
    yt_g: np.ndarray
    ytt: np.ndarray
    h_g: np.ndarray
    ht: np.ndarray
    ylogy: np.ndarray
    dev0: np.ndarray


@dataclass
class RunsFit:
    """The IRLS outcome: parameters, their values one step before, the last weight sums.

    ``level``, ``level_prev``, ``sum_w``, ``sum_wt`` are (G, m); the others (m,).
    """

    level: np.ndarray
    trend: np.ndarray
    level_prev: np.ndarray
    trend_prev: np.ndarray
    sum_w: np.ndarray
    sum_wt: np.ndarray
    sum_wtt: np.ndarray
    converged: np.ndarray
    inexact: np.ndarray
    iterations: np.ndarray

    @property
    def schur(self) -> np.ndarray:
        """(m,) the trend's precision (see :class:`GroupedFit`)."""
        return self.sum_wtt - (self.sum_wt**2 / self.sum_w).sum(axis=0)

    def rows(self, rows: np.ndarray) -> RunsFit:
        return RunsFit(**{k: v[..., rows] for k, v in vars(self).items()})

    def allocate(self, m: int) -> RunsFit:
        """An uninitialised fit of ``m`` models shaped like this one."""
        return RunsFit(
            **{k: np.empty((*v.shape[:-1], m), dtype=v.dtype) for k, v in vars(self).items()}
        )

    def put(self, rows: np.ndarray, part: RunsFit) -> None:
        """Copy ``part``'s models into ``rows``."""
        for k, v in vars(self).items():
            v[..., rows] = getattr(part, k)


def _weighted_sums(
    layout: RunLayout,
    level: np.ndarray,
    slope: np.ndarray | None,
    removed: Removed | None,
    tau_removed: np.ndarray | None,
):
    a, b, c, inexact = run_sums(layout, level, slope)
    if removed is not None:
        eta = removed.at_group(level)
        if slope is not None:
            eta += tau_removed * slope
        with np.errstate(over="ignore"):
            mu = np.exp(eta)
        a = removed.gamma * (a - removed.per_group(mu))
        if slope is not None:
            mu *= tau_removed
            b = removed.gamma * (b - removed.per_group(mu))
            mu *= tau_removed
            c = removed.gamma * (c - np.einsum("km,km->m", removed.d, mu))
    return a, b, c, inexact


def fit_runs_glm(
    layout: RunLayout,
    sums: BaselineSums,
    trend: bool,
    removed: Removed | None = None,
    *,
    maxit: int = 25,
    epsilon: float = 1e-8,
) -> RunsFit:
    """Fit ``log μ = level[group] (+ slope·τ)`` to every model by R's IRLS, sums in closed form.

    Parameters
    ----------
    layout : the baseline's run families.
    sums : the data's fixed sums, weighted by the prior weights (models last).
    trend : whether the model has a linear trend.
    removed : the down-weighted weeks behind the prior weights (None: all weights one).
    maxit, epsilon : R's ``glm.control``.

    Returns
    -------
    RunsFit
    """
    n_groups, m = sums.y_g.shape
    tau_removed = None if removed is None else layout.tau[removed.column]
    # R's start: μ = y + 0.1, η = log μ; W z = ω (μ η + y − μ) = ω ((y + 0.1) log(y + 0.1) − 0.1).
    a = sums.y_g + 0.1 * sums.w_g
    dz = sums.h_g - 0.1 * sums.w_g
    if trend:
        b = sums.yt_g + 0.1 * sums.wt_g
        c = sums.ytt + 0.1 * sums.wtt
        ez = sums.ht - 0.1 * sums.wt_g.sum(axis=0)
        schur = c - (b**2 / a).sum(axis=0)
        slope = (ez - (b * dz / a).sum(axis=0)) / schur
        level = (dz - b * slope) / a
    else:
        b = np.zeros_like(a)
        c = np.zeros(m)
        slope = np.zeros(m)
        level = dz / a
    y_g = sums.y_g
    y_total = y_g.sum(axis=0)
    yt_total = sums.yt_g.sum(axis=0)
    ylogy = sums.ylogy
    dev_old = sums.dev0

    level_out = np.empty((n_groups, m))
    level_prev = np.zeros((n_groups, m))
    sum_w = np.empty((n_groups, m))
    sum_wt = np.empty((n_groups, m))
    trend_out, trend_prev, sum_wtt = np.empty(m), np.zeros(m), np.empty(m)
    converged, inexact_all = np.zeros(m, bool), np.zeros(m, bool)
    iterations = np.zeros(m, np.intp)
    active = np.arange(m)
    sub, tr = removed, tau_removed  # the entries of the active models
    for iteration in range(1, maxit + 1):
        na, nb, nc, inexact = _weighted_sums(layout, level, slope if trend else None, sub, tr)
        with np.errstate(invalid="ignore", over="ignore"):
            dev = ylogy - np.einsum("gm,gm->m", level, y_g) - y_total + na.sum(axis=0)
            if trend:
                dev -= slope * yt_total
            dev *= 2.0
            done = np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < epsilon
        inexact_all[active] = inexact
        stop = done | ~np.isfinite(dev) | inexact
        converged[active[done]] = True
        if iteration == maxit:
            stop[:] = True
        a_old, b_old, c_old = a, b, c
        a, b, c, dev_old = na, nb, nc, dev
        if stop.any():  # store the finished models, drop them
            finished = active[stop]
            iterations[finished] = iteration
            level_out[:, finished] = level[:, stop]
            trend_out[finished] = slope[stop]
            sum_w[:, finished], sum_wt[:, finished] = a_old[:, stop], b_old[:, stop]
            sum_wtt[finished] = c_old[stop]
            if stop.all():
                break
            keep = ~stop
            active = active[keep]
            level, slope, a, b, c = level[:, keep], slope[keep], a[:, keep], b[:, keep], c[keep]
            dev_old = dev[keep]
            y_g, y_total, yt_total, ylogy = y_g[:, keep], y_total[keep], yt_total[keep], ylogy[keep]
            if sub is not None:
                sub, tr = sub.rows(keep), tr[:, keep]
        # The next least-squares step, as a Newton step from the current parameters.
        level_prev[:, active] = level
        trend_prev[active] = slope
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            ratio = y_g / a
            if trend:
                slant = b / a
                schur = c - np.einsum("gm,gm->m", b, slant)
                step = (yt_total - np.einsum("gm,gm->m", slant, y_g)) / schur
                level = level - 1.0 + ratio - slant * step
                slope = slope + step
            else:
                level = level - 1.0 + ratio
    return RunsFit(
        level=level_out,
        trend=trend_out,
        level_prev=level_prev,
        trend_prev=trend_prev,
        sum_w=sum_w,
        sum_wt=sum_wt,
        sum_wtt=sum_wtt,
        converged=converged,
        inexact=inexact_all,
        iterations=iterations,
    )
