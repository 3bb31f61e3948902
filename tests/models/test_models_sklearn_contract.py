"""Every hopia estimator runs through scikit-learn's estimator checks."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from hopia.models import LightGBMRiskModel, LogisticRiskModel

ESTIMATORS = [
    LightGBMRiskModel(n_estimators=10, n_jobs=1),
    LogisticRiskModel(),
]


def expected_failures(estimator):
    """Checks that do not apply to a calibrated binary risk model, with the reason.

    None at present: binary-only is declared with the ``multi_class=False`` tag (so the
    multiclass checks expect, and get, scikit-learn's "Only binary classification" error),
    and both models accept sparse input and NaN (tags ``sparse`` and ``allow_nan``).
    """
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_contract(estimator, check):
    check(estimator)
