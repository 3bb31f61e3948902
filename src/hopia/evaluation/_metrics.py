"""Metric kernels that work on many bootstrap resamples at once.

Every metric here is computed from *score groups*: the rows are sorted by score (highest
first) and rows with the same score form one group. A resample is a vector of row weights
(how many times each row was drawn); summing the weights of positive and of negative rows in
each group gives two ``(n_resamples, n_groups)`` matrices, from which AUROC, average
precision, the Brier score, the calibration regression, the expected calibration error, the
calibration curve, the decision curve and the confusion matrix at any threshold follow with
cumulative sums — no loop over resamples. A single row of unit weights gives the plain
estimate, so one implementation serves both.

Examples
--------
>>> from hopia.evaluation import auroc
>>> auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.special import expit

from hopia.errors import InputError

PROBABILITY_CLIP = 1e-6
"""Probabilities are clipped to ``[1e-6, 1 - 1e-6]`` before taking their logit."""


@dataclass(frozen=True)
class ScoreGroups:
    """Rows sorted by decreasing score, with rows of equal score gathered in one group.

    Attributes
    ----------
    values : ndarray, shape (n_groups,)
        The distinct scores, highest first.
    row_group : ndarray, shape (n_rows,)
        The group of each row (in the caller's row order).
    """

    values: np.ndarray
    row_group: np.ndarray

    @classmethod
    def of(cls, score: np.ndarray) -> ScoreGroups:
        """Group the rows of ``score`` by value, highest first."""
        values, inverse = np.unique(-np.asarray(score, dtype=float), return_inverse=True)
        return cls(values=-values, row_group=inverse.ravel())

    @property
    def n_groups(self) -> int:
        """Number of distinct scores."""
        return int(self.values.size)

    def logit(self) -> np.ndarray:
        """The logit of each group's score, probabilities clipped (see ``PROBABILITY_CLIP``)."""
        p = np.clip(self.values, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
        return np.log(p) - np.log1p(-p)

    def n_at_or_above(self, thresholds: Sequence[float] | np.ndarray) -> np.ndarray:
        """For each threshold ``t``, the number of groups whose score is ``>= t``."""
        ascending = self.values[::-1]
        return self.n_groups - np.searchsorted(ascending, np.asarray(thresholds), side="left")


class GroupSums:
    """Positive and negative weight of each score group in each resample, shape ``(b, g)``.

    Cumulative sums are computed once and shared by the metrics that need them.
    """

    def __init__(self, pos: np.ndarray, neg: np.ndarray) -> None:
        self.pos = pos
        self.neg = neg

    @cached_property
    def n(self) -> np.ndarray:
        return self.pos + self.neg

    @cached_property
    def cum_pos(self) -> np.ndarray:
        """``cum_pos[:, k]``: positive weight of the first k groups (column 0 is zero)."""
        out = np.zeros((self.pos.shape[0], self.pos.shape[1] + 1))
        np.cumsum(self.pos, axis=1, out=out[:, 1:])
        return out

    @cached_property
    def cum_neg(self) -> np.ndarray:
        """``cum_neg[:, k]``: negative weight of the first k groups (column 0 is zero)."""
        out = np.zeros((self.neg.shape[0], self.neg.shape[1] + 1))
        np.cumsum(self.neg, axis=1, out=out[:, 1:])
        return out

    @property
    def total_pos(self) -> np.ndarray:
        return self.cum_pos[:, -1]

    @property
    def total_neg(self) -> np.ndarray:
        return self.cum_neg[:, -1]


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, NaN where the denominator is not positive."""
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def auroc_kernel(sums: GroupSums) -> np.ndarray:
    """Area under the ROC curve for each resample (ties count one half)."""
    # Wins of group k's positives: negatives ranked strictly below (total - cum_neg[k + 1])
    # plus half the negatives tied with them.
    total_pos, total_neg = sums.total_pos, sums.total_neg
    ranked_above = np.einsum("bg,bg->b", sums.pos, sums.cum_neg[:, 1:])
    tied = np.einsum("bg,bg->b", sums.pos, sums.neg)
    wins = total_neg * total_pos - ranked_above + 0.5 * tied
    return ratio(wins, total_pos * total_neg)


def auprc_kernel(sums: GroupSums) -> np.ndarray:
    """Average precision (the step-wise area under the precision-recall curve)."""
    tp = sums.cum_pos[:, 1:]
    flagged = tp + sums.cum_neg[:, 1:]
    # Where nothing is flagged yet, tp is 0 too: the floor only avoids 0 / 0.
    precision = np.divide(tp, np.maximum(flagged, 1e-300, out=flagged), out=flagged)
    return ratio(np.einsum("bg,bg->b", sums.pos, precision), sums.total_pos)


def brier_kernel(sums: GroupSums, p: np.ndarray) -> np.ndarray:
    """Mean squared difference between predicted probability and outcome."""
    loss = sums.pos @ ((1.0 - p) ** 2) + sums.neg @ (p**2)
    return ratio(loss, sums.total_pos + sums.total_neg)


def _log_likelihood(pos: np.ndarray, n: np.ndarray, eta: np.ndarray) -> np.ndarray:
    # log(1 + e^eta) computed stably without logaddexp (slow on large arrays).
    softplus = np.maximum(eta, 0.0) + np.log1p(np.exp(-np.abs(eta)))
    return np.einsum("bg,bg->b", pos, eta) - np.einsum("bg,bg->b", n, softplus)


@dataclass(frozen=True)
class LogitDesign:
    """Covariates of the two calibration regressions of one score, computed once.

    ``design`` columns are the covariates, ``cross`` their pairwise products (for the
    information matrix); the intercept model has the logit as a fixed offset.
    """

    logit: np.ndarray
    intercept_design: np.ndarray
    slope_design: np.ndarray
    slope_cross: np.ndarray
    _first: dict[tuple[str, tuple[float, ...]], np.ndarray] = field(
        default_factory=dict, repr=False, compare=False
    )

    def first_iteration(self, model: str, start: tuple[float, ...]) -> np.ndarray:
        """The first Newton iteration's matrix for ``model`` ("intercept" or "slope")."""
        key = (model, start)
        if key not in self._first:
            if model == "intercept":
                d, offset = self.intercept_design, self.logit
                self._first[key] = _first_iteration(d, d, offset, np.asarray(start))
            else:
                d, c = self.slope_design, self.slope_cross
                self._first[key] = _first_iteration(d, c, None, np.asarray(start))
        return self._first[key]

    @classmethod
    def of(cls, logit: np.ndarray) -> LogitDesign:
        """Designs for the score groups whose logits are ``logit``."""
        ones = np.ones_like(logit)
        return cls(
            logit=logit,
            intercept_design=ones[:, None],
            slope_design=np.stack([ones, logit], axis=1),
            slope_cross=np.stack([ones, logit, logit * logit], axis=1),
        )


def _first_iteration(
    design: np.ndarray, cross: np.ndarray, offset: np.ndarray | None, start: np.ndarray
) -> np.ndarray:
    """``[mu0 * design, mu0 (1 - mu0) * cross]``, mu0 the probabilities at ``start``."""
    eta0 = start @ design.T
    if offset is not None:
        eta0 = eta0 + offset
    mu0 = expit(eta0)
    return np.hstack([mu0[:, None] * design, (mu0 * (1.0 - mu0))[:, None] * cross])


def _newton(
    sums: GroupSums,
    design: np.ndarray,
    cross: np.ndarray,
    offset: np.ndarray | None,
    start: np.ndarray,
    max_iter: int = 50,
    tol: float = 1e-9,
    first: np.ndarray | None = None,
) -> np.ndarray:
    """Maximum-likelihood logistic regression on one or two group-level covariates.

    ``design`` is ``(n_groups, k)`` with k in {1, 2}, ``cross`` the products of its columns
    (``k (k + 1) / 2`` of them, in the order 00, 01, 11), ``offset`` an optional fixed term and
    ``start`` the ``(k,)`` starting point. All resamples are fitted at once by Newton's
    method: a large step that would lower the log-likelihood is halved (plain Newton can
    overshoot from a poor start); small steps are taken as they are, since Newton converges
    quadratically near the optimum — where a resample starts when ``start`` is the
    full-sample estimate. ``first`` is ``_first_iteration(design, cross, offset, start)``
    when the caller keeps it between chunks. Returns ``(b, k)``; resamples that fail to
    converge, or lack one of the two outcomes, are NaN.
    """
    pos, n = sums.pos, sums.n
    b_count = pos.shape[0]
    k = design.shape[1]
    observed = pos @ design
    theta = np.tile(np.asarray(start, dtype=float), (b_count, 1))

    def eta_of(params: np.ndarray) -> np.ndarray:
        eta = params @ design.T
        if offset is not None:
            eta += offset[None, :]
        return eta

    # Every resample starts from the same point, so the first iteration's probabilities are
    # one vector: its gradient and information come from a single product with ``n``.
    if first is None:
        first = _first_iteration(design, cross, offset, np.asarray(start, dtype=float))
    first = n @ first
    eta = None
    active = np.ones(b_count, dtype=bool)
    for iteration in range(max_iter):
        if iteration == 0:
            gradient = observed - first[:, :k]
            info_flat = first[:, k:]
        else:
            eta = eta_of(theta)
            mu = expit(eta, out=eta)
            n_mu = np.multiply(n, mu)
            gradient = observed - n_mu @ design
            mu *= n_mu
            np.subtract(n_mu, mu, out=mu)  # n * mu * (1 - mu)
            info_flat = mu @ cross
        if k == 1:
            ok = info_flat[:, 0] > 0
            step = np.where(ok, gradient[:, 0] / np.where(ok, info_flat[:, 0], 1.0), 0.0)[:, None]
        else:
            h00, h01, h11 = info_flat[:, 0], info_flat[:, 1], info_flat[:, 2]
            det = h00 * h11 - h01**2
            ok = det > 1e-12 * np.maximum(h00 * h11, 1e-300)
            safe = np.where(ok, det, 1.0)
            step = np.stack(
                [
                    np.where(ok, (h11 * gradient[:, 0] - h01 * gradient[:, 1]) / safe, 0.0),
                    np.where(ok, (h00 * gradient[:, 1] - h01 * gradient[:, 0]) / safe, 0.0),
                ],
                axis=1,
            )
        active &= ok
        step[~active] = 0.0
        size = np.abs(step).sum(axis=1)
        factor = np.ones(b_count)
        far = active & (size > 0.5)
        if far.any():
            # Far from the optimum somewhere: guard those resamples by step halving.
            current = _log_likelihood(pos, n, eta_of(theta))
            for _halving in range(40):
                value = _log_likelihood(pos, n, eta_of(theta + factor[:, None] * step))
                worse = far & ~(value >= current - 1e-12 * np.abs(current))
                if not worse.any():
                    break
                factor = np.where(worse, factor / 2.0, factor)
        theta = theta + factor[:, None] * step
        active &= size * factor > tol
        if not active.any():
            break
    failed = active | (sums.total_pos == 0) | (sums.total_neg == 0)
    theta[failed] = np.nan
    return theta


def calibration_intercept_kernel(
    sums: GroupSums, design: LogitDesign, *, start: float = 0.0, tol: float = 1e-9
) -> np.ndarray:
    """Calibration-in-the-large: ``a`` in ``logit P(y=1) = a + logit(p)`` (offset fixed).

    ``tol`` bounds the last Newton step; the error left after it is of order ``tol**2``
    (quadratic convergence), which is why bootstrap resamples can stop earlier.
    """
    d = design.intercept_design
    first = design.first_iteration("intercept", (float(start),))
    return _newton(sums, d, d, design.logit, np.array([start]), tol=tol, first=first)[:, 0]


def calibration_slope_kernel(
    sums: GroupSums,
    design: LogitDesign,
    *,
    start: tuple[float, float] = (0.0, 1.0),
    tol: float = 1e-9,
) -> tuple[np.ndarray, np.ndarray]:
    """Logistic recalibration ``logit P(y=1) = a + b logit(p)``: returns ``(a, b)``.

    Started at ``start`` (the full-sample estimate when bootstrapping, so that two or three
    Newton steps suffice).
    """
    start_arr = np.asarray(start, dtype=float)
    first = design.first_iteration("slope", (float(start[0]), float(start[1])))
    theta = _newton(
        sums, design.slope_design, design.slope_cross, None, start_arr, tol=tol, first=first
    )
    return theta[:, 0], theta[:, 1]


def bin_of_groups(values_desc: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The bin of each group (groups by decreasing score) given ascending bin ``edges``."""
    return np.searchsorted(edges[1:-1], values_desc, side="right")


def equal_width_bins(values_desc: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin ``floor(p * n_bins)`` of each group (the top bin includes 1.0)."""
    return np.minimum(np.floor(values_desc * n_bins), n_bins - 1).astype(np.int64)


def binned_kernel(
    sums: GroupSums,
    p: np.ndarray,
    group_bin: np.ndarray,
    n_bins: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin: total weight, observed events and summed predictions (shape ``(b, n_bins)``).

    ``group_bin`` is monotone along the groups (bins of a sorted score), so each bin is a
    run of consecutive groups: its counts are differences of the cumulative sums.
    """
    starts = np.flatnonzero(np.r_[True, group_bin[1:] != group_bin[:-1]])
    ends = np.r_[starts[1:], group_bin.size]
    run_bin = group_bin[starts]
    b_count = sums.pos.shape[0]
    weight = np.zeros((b_count, n_bins))
    events = np.zeros_like(weight)
    events[:, run_bin] = sums.cum_pos[:, ends] - sums.cum_pos[:, starts]
    weight[:, run_bin] = events[:, run_bin] + sums.cum_neg[:, ends] - sums.cum_neg[:, starts]
    predicted = np.zeros_like(weight)
    predicted[:, run_bin] = np.add.reduceat(sums.n * p[None, :], starts, axis=1)
    return weight, events, predicted


def ece_kernel(
    sums: GroupSums,
    p: np.ndarray,
    group_bin: np.ndarray,
    n_bins: int,
) -> np.ndarray:
    """Expected calibration error: weighted mean of ``|observed - predicted|`` over bins."""
    weight, events, predicted = binned_kernel(sums, p, group_bin, n_bins)
    return ratio(np.abs(events - predicted).sum(axis=1), weight.sum(axis=1))


def confusion_kernel(sums: GroupSums, n_flagged_groups: np.ndarray) -> dict[str, np.ndarray]:
    """Confusion-matrix rates when the groups ranked first are flagged positive.

    ``n_flagged_groups[k]`` is how many groups (highest scores first) are flagged at the k-th
    threshold. Returns arrays of shape ``(b, n_thresholds)``.
    """
    tp = sums.cum_pos[:, n_flagged_groups]
    fp = sums.cum_neg[:, n_flagged_groups]
    total_pos = sums.total_pos[:, None]
    total_neg = sums.total_neg[:, None]
    fn = total_pos - tp
    tn = total_neg - fp
    return {
        "sensitivity": ratio(tp, np.broadcast_to(total_pos, tp.shape)),
        "specificity": ratio(tn, np.broadcast_to(total_neg, tn.shape)),
        "ppv": ratio(tp, tp + fp),
        "npv": ratio(tn, tn + fn),
        "alert_rate": ratio(tp + fp, np.broadcast_to(total_pos + total_neg, tp.shape)),
    }


def net_benefit_kernel(
    sums: GroupSums, n_flagged_groups: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Net benefit of the model and of treating everyone at each threshold probability."""
    tp = sums.cum_pos[:, n_flagged_groups]
    fp = sums.cum_neg[:, n_flagged_groups]
    total_pos = sums.total_pos[:, None]
    total_neg = sums.total_neg[:, None]
    total = np.broadcast_to(total_pos + total_neg, tp.shape)
    odds = (thresholds / (1.0 - thresholds))[None, :]
    return ratio(tp - fp * odds, total), ratio(total_pos - total_neg * odds, total)


# --- plain functions on arrays (the point estimates) ------------------------------------


def check_binary_scores(
    y: Sequence[float] | np.ndarray, score: Sequence[float] | np.ndarray, *, place: str = "scores"
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a 0/1 outcome and a finite score of the same length; return float arrays."""
    y_arr = np.asarray(y, dtype=float).ravel()
    s_arr = np.asarray(score, dtype=float).ravel()
    if y_arr.shape != s_arr.shape:
        raise InputError(place, f"outcome has {y_arr.size} rows but score has {s_arr.size}")
    if y_arr.size == 0:
        raise InputError(place, "no rows to evaluate")
    if not np.isin(y_arr, (0.0, 1.0)).all():
        raise InputError(place, "the outcome must be 0 or 1 (no missing values)", field="label")
    if not np.isfinite(s_arr).all():
        raise InputError(place, "the score has missing or infinite values", field="score")
    return y_arr, s_arr


def _unit_sums(
    y: np.ndarray, score: np.ndarray, sample_weight: Sequence[float] | np.ndarray | None
) -> tuple[ScoreGroups, GroupSums]:
    groups = ScoreGroups.of(score)
    w = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    pos = np.bincount(groups.row_group, weights=w * y, minlength=groups.n_groups)
    neg = np.bincount(groups.row_group, weights=w * (1 - y), minlength=groups.n_groups)
    return groups, GroupSums(pos[None, :], neg[None, :])


def _check_probability(score: np.ndarray, place: str) -> None:
    if (score < 0).any() or (score > 1).any():
        raise InputError(place, "expected probabilities between 0 and 1", field="score")


def auroc(y, score, *, sample_weight=None) -> float:
    """Area under the ROC curve (the c-statistic).

    Examples
    --------
    >>> auroc([0, 1, 0, 1], [0.2, 0.9, 0.3, 0.7])
    1.0
    """
    y, score = check_binary_scores(y, score, place="auroc")
    _, sums = _unit_sums(y, score, sample_weight)
    return float(auroc_kernel(sums)[0])


def auprc(y, score, *, sample_weight=None) -> float:
    """Average precision: area under the precision-recall curve (step-wise, as scikit-learn).

    Examples
    --------
    >>> auprc([0, 1, 0, 1], [0.2, 0.9, 0.3, 0.7])
    1.0
    """
    y, score = check_binary_scores(y, score, place="auprc")
    _, sums = _unit_sums(y, score, sample_weight)
    return float(auprc_kernel(sums)[0])


def brier_score(y, probability, *, sample_weight=None) -> float:
    """Mean squared error of the predicted probability.

    Examples
    --------
    >>> brier_score([0, 1], [0.0, 0.5])
    0.125
    """
    y, probability = check_binary_scores(y, probability, place="brier_score")
    _check_probability(probability, "brier_score")
    groups, sums = _unit_sums(y, probability, sample_weight)
    return float(brier_kernel(sums, groups.values)[0])


def calibration_intercept_slope(y, probability, *, sample_weight=None) -> tuple[float, float]:
    """Calibration intercept (in the large, slope fixed at 1) and calibration slope.

    The intercept is ``a`` in ``logit P(y=1) = a + logit(p)``; the slope is ``b`` in
    ``logit P(y=1) = c + b logit(p)``. A well calibrated model has intercept 0 and slope 1;
    a slope below 1 means predictions are too extreme (over-fitting).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.95, 20000)
    >>> y = rng.uniform(size=p.size) < p
    >>> intercept, slope = calibration_intercept_slope(y, p)
    >>> abs(intercept) < 0.05 and abs(slope - 1) < 0.1
    True
    """
    y, probability = check_binary_scores(y, probability, place="calibration_intercept_slope")
    _check_probability(probability, "calibration_intercept_slope")
    groups, sums = _unit_sums(y, probability, sample_weight)
    design = LogitDesign.of(groups.logit())
    intercept = calibration_intercept_kernel(sums, design)[0]
    _, slope = calibration_slope_kernel(sums, design)
    return float(intercept), float(slope[0])


def expected_calibration_error(y, probability, *, n_bins: int = 10, sample_weight=None) -> float:
    """Expected calibration error over ``n_bins`` equal-width bins of predicted probability.

    Examples
    --------
    >>> expected_calibration_error([0, 1, 0, 1], [0.0, 1.0, 0.0, 1.0])
    0.0
    """
    y, probability = check_binary_scores(y, probability, place="expected_calibration_error")
    _check_probability(probability, "expected_calibration_error")
    groups, sums = _unit_sums(y, probability, sample_weight)
    group_bin = equal_width_bins(groups.values, n_bins)
    return float(ece_kernel(sums, groups.values, group_bin, n_bins)[0])


def threshold_metrics(y, probability, thresholds: Sequence[float]) -> dict[float, dict[str, float]]:
    """Sensitivity, specificity, PPV, NPV and alert rate when ``probability >= threshold``.

    Examples
    --------
    >>> threshold_metrics([0, 1, 1, 0], [0.1, 0.8, 0.4, 0.6], [0.5])[0.5]["sensitivity"]
    0.5
    """
    y, probability = check_binary_scores(y, probability, place="threshold_metrics")
    groups, sums = _unit_sums(y, probability, None)
    rates = confusion_kernel(sums, groups.n_at_or_above(thresholds))
    names = ("sensitivity", "specificity", "ppv", "npv", "alert_rate")
    return {
        float(t): {name: float(rates[name][0, k]) for name in names}
        for k, t in enumerate(thresholds)
    }


def net_benefit(y, probability, thresholds: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Net benefit of acting when ``probability >= t``, and of treating everyone.

    Net benefit = TP/N - FP/N * t / (1 - t) (Vickers & Elkin 2006); treating nobody has
    net benefit 0.

    Examples
    --------
    >>> model, treat_all = net_benefit([0, 1, 1, 0], [0.1, 0.8, 0.7, 0.2], [0.5])
    >>> float(model[0]), float(treat_all[0])
    (0.5, 0.0)
    """
    y, probability = check_binary_scores(y, probability, place="net_benefit")
    t = np.asarray(thresholds, dtype=float)
    groups, sums = _unit_sums(y, probability, None)
    model, treat_all = net_benefit_kernel(sums, groups.n_at_or_above(t), t)
    return model[0], treat_all[0]
