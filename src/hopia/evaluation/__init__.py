"""Honest evaluation of clinical predictions: every metric with a person-level bootstrap CI.

Works on any predictions (plain arrays), not only on hopia's models: discrimination
(AUROC, AUPRC), calibration (Brier score, calibration intercept and slope, expected
calibration error, calibration curve), clinical usefulness (decision curve, sensitivity /
specificity / PPV / NPV at chosen thresholds), subgroups with small counts masked, and the
self-contained HTML model card.

Examples
--------
>>> import numpy as np
>>> from hopia.evaluation import evaluate_predictions
>>> y = np.array([0, 0, 1, 1, 0, 1])
>>> p = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
>>> round(evaluate_predictions(y, p, n_resamples=0).metric("auroc")[0], 3)
0.889
"""

from typing import TYPE_CHECKING

from hopia._lazy import lazy_exports

if TYPE_CHECKING:
    from hopia.evaluation._bootstrap import (
        DECISION_THRESHOLDS,
        DEFAULT_THRESHOLDS,
        Evaluation,
        evaluate_predictions,
        resample_counts,
    )
    from hopia.evaluation._metrics import (
        auprc,
        auroc,
        brier_score,
        calibration_intercept_slope,
        expected_calibration_error,
        net_benefit,
        threshold_metrics,
    )
    from hopia.evaluation._report import render_model_card
    from hopia.evaluation._subgroups import publishable_counts, subgroup_table

# Names are imported on first use, so ``hopia --help`` does not load scikit-learn.
_EXPORTS = {
    "DECISION_THRESHOLDS": "hopia.evaluation._bootstrap",
    "DEFAULT_THRESHOLDS": "hopia.evaluation._bootstrap",
    "Evaluation": "hopia.evaluation._bootstrap",
    "evaluate_predictions": "hopia.evaluation._bootstrap",
    "resample_counts": "hopia.evaluation._bootstrap",
    "auprc": "hopia.evaluation._metrics",
    "auroc": "hopia.evaluation._metrics",
    "brier_score": "hopia.evaluation._metrics",
    "calibration_intercept_slope": "hopia.evaluation._metrics",
    "expected_calibration_error": "hopia.evaluation._metrics",
    "net_benefit": "hopia.evaluation._metrics",
    "threshold_metrics": "hopia.evaluation._metrics",
    "render_model_card": "hopia.evaluation._report",
    "publishable_counts": "hopia.evaluation._subgroups",
    "subgroup_table": "hopia.evaluation._subgroups",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "DECISION_THRESHOLDS",
    "DEFAULT_THRESHOLDS",
    "Evaluation",
    "auprc",
    "auroc",
    "brier_score",
    "calibration_intercept_slope",
    "evaluate_predictions",
    "expected_calibration_error",
    "net_benefit",
    "publishable_counts",
    "render_model_card",
    "resample_counts",
    "subgroup_table",
    "threshold_metrics",
]
