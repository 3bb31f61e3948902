"""Metric functions agree with scikit-learn; the bootstrap is seeded, by person, and covers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression

from hopia.errors import InputError
from hopia.evaluation import (
    auprc,
    auroc,
    brier_score,
    calibration_intercept_slope,
    evaluate_predictions,
    expected_calibration_error,
    net_benefit,
    threshold_metrics,
)


@pytest.fixture(params=[7, 60, 1500])
def random_case(request):
    rng = np.random.default_rng(request.param)
    n = request.param
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    p = np.round(rng.uniform(size=n), 2)  # rounding makes ties
    return y, p


def test_ranking_metrics_agree_with_sklearn(random_case):
    y, p = random_case
    assert auroc(y, p) == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert auprc(y, p) == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)
    assert brier_score(y, p) == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)


def test_weighted_metrics_agree_with_sklearn(random_case):
    y, p = random_case
    w = np.random.default_rng(1).integers(0, 4, y.size).astype(float)
    w[:2] = 1
    assert auroc(y, p, sample_weight=w) == pytest.approx(
        skm.roc_auc_score(y, p, sample_weight=w), abs=1e-12
    )
    assert auprc(y, p, sample_weight=w) == pytest.approx(
        skm.average_precision_score(y, p, sample_weight=w), abs=1e-12
    )


def test_calibration_slope_and_intercept_agree_with_logistic_regression():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.02, 0.98, 3000)
    y = (rng.uniform(size=p.size) < p**1.5).astype(int)
    logit = np.log(p / (1 - p))
    full = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(logit[:, None], y)
    intercept, slope = calibration_intercept_slope(y, p)
    assert slope == pytest.approx(full.coef_[0, 0], abs=1e-5)
    # Intercept with the logit as an offset: the mean of y equals the mean of expit(a + logit).
    from scipy.special import expit

    assert expit(intercept + logit).mean() == pytest.approx(y.mean(), abs=1e-9)


def test_calibration_slope_is_one_for_a_calibrated_score_and_below_for_an_overfit_one():
    rng = np.random.default_rng(4)
    logit = rng.normal(-1.0, 1.5, 40_000)
    p = 1 / (1 + np.exp(-logit))
    y = (rng.uniform(size=p.size) < p).astype(int)
    intercept, slope = calibration_intercept_slope(y, p)
    assert slope == pytest.approx(1.0, abs=0.05)
    assert intercept == pytest.approx(0.0, abs=0.05)
    too_extreme = 1 / (1 + np.exp(-2 * logit))
    assert calibration_intercept_slope(y, too_extreme)[1] == pytest.approx(0.5, abs=0.04)


def test_expected_calibration_error_by_hand():
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    p = np.array([0.05, 0.15, 0.55, 0.52, 0.95, 0.91, 0.3, 0.35])
    bins = np.minimum((p * 10).astype(int), 9)
    expected = (
        sum(abs(y[bins == b].mean() - p[bins == b].mean()) * (bins == b).sum() for b in set(bins))
        / y.size
    )
    assert expected_calibration_error(y, p) == pytest.approx(expected, abs=1e-12)


def test_threshold_metrics_agree_with_the_confusion_matrix(random_case):
    y, p = random_case
    for t in (0.1, 0.5, 0.77):
        flagged = (p >= t).astype(int)
        tn, fp, fn, tp = skm.confusion_matrix(y, flagged, labels=[0, 1]).ravel()
        got = threshold_metrics(y, p, [t])[t]
        assert got["sensitivity"] == pytest.approx(tp / (tp + fn))
        assert got["specificity"] == pytest.approx(tn / (tn + fp))
        if tp + fp:
            assert got["ppv"] == pytest.approx(tp / (tp + fp))
        if tn + fn:
            assert got["npv"] == pytest.approx(tn / (tn + fn))
        assert got["alert_rate"] == pytest.approx(flagged.mean())


def test_net_benefit_by_hand(random_case):
    y, p = random_case
    thresholds = [0.05, 0.2, 0.6]
    model, treat_all = net_benefit(y, p, thresholds)
    n = y.size
    for k, t in enumerate(thresholds):
        tp = ((p >= t) & (y == 1)).sum()
        fp = ((p >= t) & (y == 0)).sum()
        assert model[k] == pytest.approx(tp / n - fp / n * t / (1 - t))
        assert treat_all[k] == pytest.approx(y.mean() - (1 - y.mean()) * t / (1 - t))


def test_point_estimates_of_evaluate_match_the_plain_functions(random_case):
    y, p = random_case
    ev = evaluate_predictions(y, p, n_resamples=0)
    assert ev.metric("auroc")[0] == pytest.approx(auroc(y, p))
    assert ev.metric("brier")[0] == pytest.approx(brier_score(y, p))
    assert ev.metric("calibration_slope")[0] == pytest.approx(
        calibration_intercept_slope(y, p)[1], abs=1e-6
    )
    assert np.isnan(ev.metric("auroc")[1])


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 500)
    p = np.clip(0.25 * y + rng.uniform(0, 0.75, 500), 0, 1)
    first = evaluate_predictions(y, p, n_resamples=200, seed=11)
    again = evaluate_predictions(y, p, n_resamples=200, seed=11)
    other = evaluate_predictions(y, p, n_resamples=200, seed=12)
    assert first.metrics.equals(again.metrics)
    assert not first.metrics.equals(other.metrics)
    for name in ("auroc", "auprc", "brier", "calibration_slope", "ece"):
        estimate, lower, upper = first.metric(name)
        assert lower < estimate < upper, name


def test_bootstrap_resamples_persons_not_rows():
    """Three identical rows per person carry no more information than one: the person
    bootstrap keeps the interval of the single-row data, the row bootstrap shrinks it."""
    rng = np.random.default_rng(6)
    n = 400
    y = rng.integers(0, 2, n)
    s = y + rng.normal(0, 1.2, n)
    person = np.repeat(np.arange(n), 3)
    single = evaluate_predictions(y, s, n_resamples=600, seed=1).metric("auroc")
    by_person = evaluate_predictions(
        np.repeat(y, 3), np.repeat(s, 3), person=person, n_resamples=600, seed=1
    ).metric("auroc")
    by_row = evaluate_predictions(np.repeat(y, 3), np.repeat(s, 3), n_resamples=600, seed=1).metric(
        "auroc"
    )
    width = lambda m: m[2] - m[1]  # noqa: E731
    assert width(by_person) == pytest.approx(width(single), rel=0.2)
    assert width(by_row) < 0.75 * width(by_person)


def test_bootstrap_interval_covers_the_true_auroc_at_about_the_nominal_rate():
    """Binormal scores: AUROC = Phi(d / sqrt(2)). 300 data sets of 300 rows."""
    from scipy.stats import norm

    d = 1.0
    truth = norm.cdf(d / np.sqrt(2))
    rng = np.random.default_rng(2024)
    hits = 0
    runs = 300
    for run in range(runs):
        y = rng.integers(0, 2, 300)
        score = rng.normal(size=300) + d * y  # not probabilities: ranking metrics only
        _, lower, upper = evaluate_predictions(y, score, n_resamples=300, seed=run).metric("auroc")
        hits += lower <= truth <= upper
    assert 0.90 <= hits / runs <= 0.985


def test_paired_comparison_detects_the_better_score():
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, 2000)
    good = y + rng.normal(0, 0.8, 2000)
    weak = y + rng.normal(0, 2.5, 2000)
    ev = evaluate_predictions(y, {"model": good, "baseline": weak}, n_resamples=300)
    row = ev.comparisons.query("metric == 'auroc'").iloc[0]
    assert row.difference > 0 and row.lower > 0 and row.p_value < 0.01
    assert set(ev.metrics.score) == {"model", "baseline"}


def test_clinical_score_thresholds_and_decision_curve():
    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, 1000)
    news = rng.integers(0, 8, 1000) + 3 * y
    p = np.clip(0.4 * y + rng.uniform(0, 0.6, 1000), 0, 1)
    ev = evaluate_predictions(
        y, {"model": p, "NEWS2": news}, score_thresholds={"NEWS2": [5, 7]}, n_resamples=50
    )
    news_rows = ev.thresholds[ev.thresholds.score == "NEWS2"]
    assert sorted(news_rows.threshold.unique()) == [5.0, 7.0]
    sens5 = news_rows.query("threshold == 5 and metric == 'sensitivity'").estimate.iloc[0]
    assert sens5 == pytest.approx(((news >= 5) & (y == 1)).sum() / y.sum())
    strategies = set(ev.decision_curve.strategy)
    assert strategies == {"model", "treat all", "treat none"}  # NEWS2 is not a probability
    assert "calibration_slope" not in set(ev.metrics.query("score == 'NEWS2'").metric)


def test_breast_cancer_cross_validated_logistic_gives_auroc_near_099():
    """Real clinical data shipped with scikit-learn (569 tumours, 212 malignant)."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    p = cross_val_predict(model, X, y, cv=5, method="predict_proba")[:, 1]
    ev = evaluate_predictions(y, p, n_resamples=1000, seed=0)
    estimate, lower, upper = ev.metric("auroc")
    assert estimate == pytest.approx(0.99, abs=0.01)
    assert 0.97 < lower < estimate < upper <= 1.0
    assert upper - lower < 0.03


def test_bad_input_is_named():
    with pytest.raises(InputError, match="outcome must be 0 or 1"):
        auroc([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(InputError, match="3 rows but score has 2"):
        auroc([0, 1, 1], [0.1, 0.2])
    with pytest.raises(InputError, match="probabilities between 0 and 1"):
        brier_score([0, 1], [0.5, 3.0])
    with pytest.raises(InputError, match="missing person ids"):
        evaluate_predictions([0, 1], [0.1, 0.9], person=[1, None])
