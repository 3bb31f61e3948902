"""Evaluate predictions with 95 % bootstrap confidence intervals resampled by person.

A person with several stays contributes correlated rows; resampling rows would pretend they
are independent and give intervals that are too narrow. Here each resample draws *persons*
with replacement (a cluster bootstrap) and every row of a drawn person comes along. All
resamples of a chunk are evaluated together (see ``_metrics``): the draw is a
``(n_persons, b)`` matrix of counts and the score groups' positive and negative weights are
two sparse products, so there is no Python loop over resamples.

Examples
--------
>>> import numpy as np
>>> from hopia.evaluation import evaluate_predictions
>>> rng = np.random.default_rng(1)
>>> y = rng.integers(0, 2, 400)
>>> p = np.clip(0.3 * y + rng.uniform(0, 0.7, 400), 0, 1)
>>> ev = evaluate_predictions(y, p, n_resamples=200, seed=0)
>>> est, lower, upper = ev.metric("auroc")
>>> lower < est < upper
True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hopia.errors import InputError
from hopia.evaluation import _metrics as m

DEFAULT_THRESHOLDS: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.5)
"""Probability thresholds at which sensitivity, specificity, PPV and NPV are reported."""

DECISION_THRESHOLDS: tuple[float, ...] = tuple(round(t / 100, 2) for t in range(1, 100))
"""Threshold probabilities of the decision curve (1 % to 99 %)."""

PROBABILITY_METRICS = (
    "auroc",
    "auprc",
    "brier",
    "calibration_intercept",
    "calibration_slope",
    "ece",
    "observed_expected",
)
RANKING_METRICS = ("auroc", "auprc")
THRESHOLD_METRICS = ("sensitivity", "specificity", "ppv", "npv", "alert_rate")
_CHUNK_ELEMENTS = 250_000  # floats per (resamples x groups) matrix: ~2 MB, cache-friendly
# Newton's last step in a resample's calibration fit: the error it leaves is of order its
# square (1e-6), far below the Monte-Carlo error of a percentile interval.
_BOOTSTRAP_TOL = 1e-3
# In resamples, the calibration regressions run on runs of scores whose logits differ by less
# than this (each run at its mean logit): with continuous scores that is ~100x fewer groups,
# and the bias it adds to the slope is of order LOGIT_RESOLUTION**2 / 12 / var(logit) (~1e-5).
LOGIT_RESOLUTION = 0.01


@dataclass
class Evaluation:
    """The result of :func:`evaluate_predictions`: point estimates with bootstrap intervals.

    Attributes
    ----------
    metrics : DataFrame
        ``score, metric, estimate, lower, upper`` for every score.
    thresholds : DataFrame
        ``score, threshold, metric, estimate, lower, upper`` (sensitivity, specificity, PPV,
        NPV, alert rate when ``score >= threshold``).
    calibration : DataFrame
        ``score, bin, n, mean_predicted, observed, lower, upper`` (quantile bins of risk).
    decision_curve : DataFrame
        ``threshold, strategy, net_benefit, lower, upper``; strategies are each probability
        score, ``"treat all"`` and ``"treat none"``.
    comparisons : DataFrame
        ``score, reference, metric, difference, lower, upper, p_value``: the first score minus
        each other score, on the same resamples (paired).
    counts : dict
        ``n_rows, n_persons, n_events`` (raw; mask them before publishing).
    settings : dict
        ``n_resamples, seed, confidence, resampled_by``.
    """

    metrics: pd.DataFrame
    thresholds: pd.DataFrame
    calibration: pd.DataFrame
    decision_curve: pd.DataFrame
    comparisons: pd.DataFrame
    counts: dict[str, int]
    settings: dict[str, Any] = field(default_factory=dict)

    def metric(self, name: str, score: str | None = None) -> tuple[float, float, float]:
        """``(estimate, lower, upper)`` of one metric (of the first score by default)."""
        rows = self.metrics[self.metrics["metric"] == name]
        if score is not None:
            rows = rows[rows["score"] == score]
        if rows.empty:
            raise KeyError(f"no metric {name!r} for score {score!r}")
        row = rows.iloc[0]
        return float(row["estimate"]), float(row["lower"]), float(row["upper"])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (NaN become ``None``)."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            clean = frame.astype(object).where(frame.notna(), None)
            return clean.to_dict(orient="records")

        return {
            "counts": dict(self.counts),
            "settings": dict(self.settings),
            "metrics": records(self.metrics),
            "thresholds": records(self.thresholds),
            "calibration": records(self.calibration),
            "decision_curve": records(self.decision_curve),
            "comparisons": records(self.comparisons),
        }


def person_codes(person: Sequence[Any] | np.ndarray | None, n_rows: int) -> np.ndarray:
    """Integer codes ``0..n_persons-1`` for the person of each row (each row its own person
    when ``person`` is None)."""
    if person is None:
        return np.arange(n_rows)
    values = pd.Series(np.asarray(person).ravel())
    if len(values) != n_rows:
        raise InputError("person", f"{len(values)} person ids for {n_rows} rows")
    if values.isna().any():
        raise InputError("person", "missing person ids", field="person")
    codes, _ = pd.factorize(values, sort=False)
    return codes.astype(np.int64)


def resample_counts(
    n_persons: int, n_resamples: int, seed: int | np.random.Generator, chunk: int
) -> Iterator[np.ndarray]:
    """Yield ``(b, n_persons + 1)`` matrices of how often each person is drawn (``b <= chunk``).

    Each row is one bootstrap resample: ``n_persons`` draws with replacement. The last
    column is always zero (a person who is never drawn), which lets a score group without
    rows of one outcome class point at it instead of being filled in afterwards.

    Examples
    --------
    >>> counts = next(resample_counts(5, 3, seed=0, chunk=3))
    >>> counts.shape, counts.sum(axis=1).tolist(), counts[:, -1].tolist()
    ((3, 6), [5.0, 5.0, 5.0], [0.0, 0.0, 0.0])
    """
    rng = np.random.default_rng(seed)
    width = n_persons + 1
    done = 0
    while done < n_resamples:
        b = min(chunk, n_resamples - done)
        draws = rng.integers(0, n_persons, size=(b, n_persons), dtype=np.int64)
        draws += (np.arange(b) * width)[:, None]
        counts = np.bincount(draws.ravel(), minlength=width * b).reshape(b, width)
        done += b
        yield counts.astype(np.float64)


@dataclass(frozen=True)
class _ClassRows:
    """The rows of one outcome class, laid out to sum resample weights by score group.

    When no group holds two rows of the class (the usual case for a continuous score), one
    gather does it: ``single[g]`` is the person of group g's row, or the never-drawn column.
    Otherwise rows are sorted by group and summed run by run.
    """

    n_groups: int
    single: np.ndarray | None  # (n_groups,) person code, or n_persons when the group has none
    person: np.ndarray  # rows sorted by group: person code
    run_start: np.ndarray  # first row of each run of equal group
    run_group: np.ndarray  # the group of each run

    @classmethod
    def of(
        cls, row_group: np.ndarray, persons: np.ndarray, n_persons: int, mask: np.ndarray
    ) -> _ClassRows:
        n_groups = int(row_group.max(initial=-1)) + 1
        order = np.flatnonzero(mask)
        order = order[np.argsort(row_group[order], kind="stable")]
        group = row_group[order]
        start = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if group.size else group
        single = None
        if start.size == order.size:
            single = np.full(n_groups, n_persons, dtype=np.int64)
            single[group] = persons[order]
        return cls(n_groups, single, persons[order], start, group[start])

    def sums(self, counts: np.ndarray) -> np.ndarray:
        if self.single is not None:
            return np.take(counts, self.single, axis=1)
        out = np.zeros((counts.shape[0], self.n_groups))
        drawn = np.take(counts, self.person, axis=1)
        out[:, self.run_group] = np.add.reduceat(drawn, self.run_start, axis=1)
        return out


@dataclass
class _PreparedScore:
    name: str
    groups: m.ScoreGroups
    positives: _ClassRows
    negatives: _ClassRows
    probability: bool
    thresholds: np.ndarray
    design: m.LogitDesign | None = None
    fit_starts: np.ndarray | None = None  # bootstrap calibration fits: runs of close logits
    fit_design: m.LogitDesign | None = None
    ece_bin: np.ndarray | None = None
    curve_bin: np.ndarray | None = None
    curve_bins: int = 0
    ece_bins: int = 0
    slope_start: tuple[float, float] = (0.0, 1.0)
    intercept_start: float = 0.0

    one_row_person: np.ndarray | None = None  # every group is one row: its person
    one_row_positive: np.ndarray | None = None  # ... and whether that row is an event

    def sums(self, counts: np.ndarray) -> m.GroupSums:
        """Group weights for resamples given as a ``(b, n_persons + 1)`` matrix of draws."""
        if self.one_row_person is not None:
            drawn = np.take(counts, self.one_row_person, axis=1)  # far faster than [:, idx]
            pos = drawn * self.one_row_positive
            return m.GroupSums(pos, np.subtract(drawn, pos, out=drawn))
        return m.GroupSums(self.positives.sums(counts), self.negatives.sums(counts))


def _prepare(
    name: str,
    y: np.ndarray,
    score: np.ndarray,
    persons: np.ndarray,
    n_persons: int,
    probability: bool,
    thresholds: Sequence[float],
    n_bins: int,
) -> _PreparedScore:
    groups = m.ScoreGroups.of(score)
    prepared = _PreparedScore(
        name=name,
        groups=groups,
        positives=_ClassRows.of(groups.row_group, persons, n_persons, y == 1),
        negatives=_ClassRows.of(groups.row_group, persons, n_persons, y == 0),
        probability=probability,
        thresholds=np.asarray(thresholds, dtype=float),
    )
    if groups.n_groups == y.size:  # no ties: one gather serves both classes
        person_of_group = np.empty(y.size, dtype=np.int64)
        person_of_group[groups.row_group] = persons
        positive = np.empty(y.size)
        positive[groups.row_group] = y
        prepared.one_row_person = person_of_group
        prepared.one_row_positive = positive
    if probability:
        logit = groups.logit()
        prepared.design = m.LogitDesign.of(logit)
        key = np.floor(logit / LOGIT_RESOLUTION)
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        if starts.size < 0.5 * groups.n_groups:
            rows = np.bincount(groups.row_group, minlength=groups.n_groups).astype(float)
            mean_logit = np.add.reduceat(logit * rows, starts) / np.add.reduceat(rows, starts)
            prepared.fit_starts = starts
            prepared.fit_design = m.LogitDesign.of(mean_logit)
        prepared.ece_bin = m.equal_width_bins(groups.values, n_bins)
        prepared.ece_bins = n_bins
        edges = np.unique(np.quantile(score, np.linspace(0.0, 1.0, n_bins + 1)))
        if edges.size < 2:
            edges = np.array([0.0, 1.0])
        prepared.curve_bins = edges.size - 1
        prepared.curve_bin = m.bin_of_groups(groups.values, edges)
    return prepared


def _statistics(
    prep: _PreparedScore, sums: m.GroupSums, decision: np.ndarray, *, resample: bool
) -> dict[str, np.ndarray]:
    """Every statistic of one score on a chunk of resamples (arrays start with the b axis)."""
    out: dict[str, np.ndarray] = {
        "auroc": m.auroc_kernel(sums),
        "auprc": m.auprc_kernel(sums),
    }
    if prep.thresholds.size:
        rates = m.confusion_kernel(sums, prep.groups.n_at_or_above(prep.thresholds))
        for name in THRESHOLD_METRICS:
            out[f"threshold:{name}"] = rates[name]
    if not prep.probability:
        return out
    p = prep.groups.values
    assert prep.design is not None and prep.ece_bin is not None and prep.curve_bin is not None
    out["brier"] = m.brier_kernel(sums, p)
    fit_sums, design = sums, prep.design
    if resample and prep.fit_starts is not None and prep.fit_design is not None:
        starts = prep.fit_starts
        fit_sums = m.GroupSums(
            np.add.reduceat(sums.pos, starts, axis=1), np.add.reduceat(sums.neg, starts, axis=1)
        )
        design = prep.fit_design
    tol = _BOOTSTRAP_TOL if resample else 1e-9
    out["calibration_intercept"] = m.calibration_intercept_kernel(
        fit_sums, design, start=prep.intercept_start, tol=tol
    )
    out["calibration_slope"] = m.calibration_slope_kernel(
        fit_sums, design, start=prep.slope_start, tol=tol
    )[1]
    out["ece"] = m.ece_kernel(sums, p, prep.ece_bin, prep.ece_bins)
    weight, events, predicted = m.binned_kernel(sums, p, prep.curve_bin, prep.curve_bins)
    out["observed_expected"] = m.ratio(events.sum(axis=1), predicted.sum(axis=1))
    out["curve:observed"] = m.ratio(events, weight)
    out["curve:predicted"] = m.ratio(predicted, weight)
    out["curve:n"] = weight
    model_nb, treat_all = m.net_benefit_kernel(sums, prep.groups.n_at_or_above(decision), decision)
    out["decision:model"] = model_nb
    out["decision:treat_all"] = treat_all
    return out


def _interval(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1.0 - confidence) / 2.0 * 100.0
    with np.errstate(all="ignore"):
        valid = np.isfinite(samples).any(axis=0)
        filled = np.where(valid[None, ...], samples, 0.0)
        lower, upper = np.nanpercentile(filled, [tail, 100.0 - tail], axis=0)
    return np.where(valid, lower, np.nan), np.where(valid, upper, np.nan)


def _as_scores(scores: Any, n_rows: int) -> dict[str, np.ndarray]:
    if isinstance(scores, Mapping):
        named = {str(k): np.asarray(v, dtype=float).ravel() for k, v in scores.items()}
    else:
        named = {"model": np.asarray(scores, dtype=float).ravel()}
    if not named:
        raise InputError("scores", "no score to evaluate")
    for name, values in named.items():
        if values.size != n_rows:
            raise InputError("scores", f"score {name!r} has {values.size} rows, expected {n_rows}")
    return named


def evaluate_predictions(
    y: Sequence[float] | np.ndarray,
    scores: Sequence[float] | np.ndarray | Mapping[str, Sequence[float] | np.ndarray],
    *,
    person: Sequence[Any] | np.ndarray | None = None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    score_thresholds: Mapping[str, Sequence[float]] | None = None,
    decision_thresholds: Sequence[float] = DECISION_THRESHOLDS,
    n_resamples: int = 1000,
    seed: int = 42,
    confidence: float = 0.95,
    n_bins: int = 10,
) -> Evaluation:
    """Discrimination, calibration, clinical usefulness, each with a person-level bootstrap CI.

    Parameters
    ----------
    y : array of 0/1, shape (n,)
        The observed outcome.
    scores : array or mapping of name to array
        One score, or several (e.g. ``{"model": p, "NEWS2": news2}``); the first is the one
        compared with the others. A score whose values all lie in [0, 1] is treated as a
        probability (calibration, Brier, decision curve); others (clinical scores) get AUROC,
        AUPRC and the metrics at their ``score_thresholds``.
    person : array, shape (n,), optional
        Person id of each row; resamples draw persons (all their rows together).
        Without it each row is its own person.
    thresholds : sequence of float
        Probability thresholds for sensitivity, specificity, PPV, NPV and alert rate.
    score_thresholds : mapping, optional
        Thresholds for named scores (e.g. ``{"NEWS2": [5, 7]}``), overriding ``thresholds``.
    decision_thresholds : sequence of float
        Threshold probabilities of the decision curve.
    n_resamples : int, default 1000
        Bootstrap resamples (0 gives point estimates only).
    seed : int
        Seed of the resampling.
    confidence : float, default 0.95
        Coverage of the percentile intervals.
    n_bins : int, default 10
        Bins of the expected calibration error (equal width) and of the calibration curve
        (quantiles of predicted risk).

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1, 0, 1, 0, 1])
    >>> p = np.array([0.1, 0.3, 0.7, 0.8, 0.2, 0.4, 0.6, 0.9])
    >>> ev = evaluate_predictions(y, p, n_resamples=0)
    >>> round(ev.metric("auroc")[0], 4)
    0.9375
    """
    y_arr = np.asarray(y, dtype=float).ravel()
    named = _as_scores(scores, y_arr.size)
    for values in named.values():
        m.check_binary_scores(y_arr, values, place="evaluate_predictions")
    if not 0 < confidence < 1:
        raise InputError("evaluate_predictions", f"confidence must be in (0, 1), got {confidence}")
    if n_resamples < 0:
        raise InputError("evaluate_predictions", "n_resamples must be >= 0")
    persons = person_codes(person, y_arr.size)
    n_persons = int(persons.max()) + 1
    decision = np.asarray(decision_thresholds, dtype=float)
    if ((decision <= 0) | (decision >= 1)).any():
        raise InputError("evaluate_predictions", "decision thresholds must lie in (0, 1)")
    per_score = dict(score_thresholds or {})
    prepared = []
    for name, values in named.items():
        is_probability = bool(((values >= 0) & (values <= 1)).all())
        chosen = per_score.get(name, thresholds if is_probability else ())
        prepared.append(
            _prepare(name, y_arr, values, persons, n_persons, is_probability, chosen, n_bins)
        )

    ones = np.r_[np.ones(n_persons), 0.0][None, :]
    point = []
    for prep in prepared:
        sums = prep.sums(ones)
        stats = _statistics(prep, sums, decision, resample=False)
        if prep.probability:
            a, b = m.calibration_slope_kernel(sums, prep.design)  # type: ignore[arg-type]
            if np.isfinite(a[0]) and np.isfinite(b[0]):
                prep.slope_start = (float(a[0]), float(b[0]))
            if np.isfinite(stats["calibration_intercept"][0]):
                prep.intercept_start = float(stats["calibration_intercept"][0])
        point.append({k: v[0] for k, v in stats.items()})

    samples: list[dict[str, list[np.ndarray]]] = [{} for _ in prepared]
    if n_resamples:
        widest = max(p.groups.n_groups for p in prepared)
        chunk = max(1, min(n_resamples, _CHUNK_ELEMENTS // max(widest, n_persons)))
        for counts in resample_counts(n_persons, n_resamples, seed, chunk):
            for store, prep in zip(samples, prepared, strict=True):
                statistics = _statistics(prep, prep.sums(counts), decision, resample=True)
                for key, value in statistics.items():
                    store.setdefault(key, []).append(value)
    stacked = [{k: np.concatenate(v, axis=0) for k, v in s.items()} for s in samples]

    def ci(k: int, key: str) -> tuple[np.ndarray, np.ndarray]:
        if not n_resamples:
            shape = np.shape(point[k][key])
            return np.full(shape, np.nan), np.full(shape, np.nan)
        return _interval(stacked[k][key], confidence)

    metric_rows, threshold_rows, curve_rows, decision_rows, compare_rows = [], [], [], [], []
    for k, prep in enumerate(prepared):
        names = PROBABILITY_METRICS if prep.probability else RANKING_METRICS
        for name in names:
            lo, hi = ci(k, name)
            metric_rows.append((prep.name, name, float(point[k][name]), float(lo), float(hi)))
        if prep.thresholds.size:
            for name in THRESHOLD_METRICS:
                lo, hi = ci(k, f"threshold:{name}")
                for j, t in enumerate(prep.thresholds):
                    est = point[k][f"threshold:{name}"][j]
                    threshold_rows.append((prep.name, float(t), name, est, lo[j], hi[j]))
        if prep.probability:
            lo, hi = ci(k, "curve:observed")
            for j in range(prep.curve_bins):
                curve_rows.append(
                    (
                        prep.name,
                        j + 1,
                        int(np.rint(point[k]["curve:n"][j])),
                        point[k]["curve:predicted"][j],
                        point[k]["curve:observed"][j],
                        lo[j],
                        hi[j],
                    )
                )
            lo, hi = ci(k, "decision:model")
            for j, t in enumerate(decision):
                decision_rows.append(
                    (float(t), prep.name, point[k]["decision:model"][j], lo[j], hi[j])
                )
    first_probability = next((k for k, p in enumerate(prepared) if p.probability), None)
    if first_probability is not None:
        lo, hi = ci(first_probability, "decision:treat_all")
        for j, t in enumerate(decision):
            value = point[first_probability]["decision:treat_all"][j]
            decision_rows.append((float(t), "treat all", value, lo[j], hi[j]))
            decision_rows.append((float(t), "treat none", 0.0, 0.0, 0.0))
    for k in range(1, len(prepared)):
        for name in RANKING_METRICS:
            diff = point[0][name] - point[k][name]
            low = high = p_value = float("nan")
            if n_resamples:
                draws = stacked[0][name] - stacked[k][name]
                lo_arr, hi_arr = _interval(draws, confidence)
                low, high = float(lo_arr), float(hi_arr)
                finite = draws[np.isfinite(draws)]
                if finite.size:
                    share = min((finite <= 0).mean(), (finite >= 0).mean())
                    p_value = min(1.0, 2.0 * share)
            compare_rows.append(
                (
                    prepared[0].name,
                    prepared[k].name,
                    name,
                    float(diff),
                    low,
                    high,
                    p_value,
                )
            )

    return Evaluation(
        metrics=pd.DataFrame(
            metric_rows, columns=["score", "metric", "estimate", "lower", "upper"]
        ),
        thresholds=pd.DataFrame(
            threshold_rows, columns=["score", "threshold", "metric", "estimate", "lower", "upper"]
        ).astype({"estimate": float, "lower": float, "upper": float}),
        calibration=pd.DataFrame(
            curve_rows,
            columns=["score", "bin", "n", "mean_predicted", "observed", "lower", "upper"],
        ),
        decision_curve=pd.DataFrame(
            decision_rows, columns=["threshold", "strategy", "net_benefit", "lower", "upper"]
        ).astype({"net_benefit": float, "lower": float, "upper": float}),
        comparisons=pd.DataFrame(
            compare_rows,
            columns=["score", "reference", "metric", "difference", "lower", "upper", "p_value"],
        ),
        counts={
            "n_rows": int(y_arr.size),
            "n_persons": n_persons,
            "n_events": int(y_arr.sum()),
        },
        settings={
            "n_resamples": int(n_resamples),
            "seed": int(seed),
            "confidence": float(confidence),
            "resampled_by": "row" if person is None else "person",
            "thresholds": [float(t) for t in thresholds],
        },
    )
