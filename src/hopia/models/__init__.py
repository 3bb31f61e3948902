"""Risk models, data splits, explanations, clinical baselines, the registry and training.

Estimators follow the scikit-learn contract (``fit`` returns ``self``, learned attributes end
in ``_``) and calibrate their probabilities on a held-out part of the training period.

Examples
--------
>>> import numpy as np
>>> from hopia.models import LightGBMRiskModel
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(300, 3))
>>> y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
>>> LightGBMRiskModel(n_estimators=20, n_jobs=1).fit(X, y).predict(X[:3]).shape
(3,)
"""

from typing import TYPE_CHECKING

from hopia._lazy import lazy_exports

if TYPE_CHECKING:
    from hopia.models._baselines import (
        BASELINE_OF_TASK,
        charlson_index,
        lace_points,
        lace_scores,
        news2_points,
        news2_scores,
    )
    from hopia.models._estimators import LightGBMRiskModel, LogisticRiskModel, value_columns
    from hopia.models._explain import (
        contributions,
        describe_feature,
        explain_rows,
        feature_importance_table,
        readable_feature,
    )
    from hopia.models._registry import RegisteredModel, list_models, load_model, register_model
    from hopia.models._split import Split, person_folds, person_split, split_rows, temporal_split
    from hopia.models._train import TrainingResult, train_task

# Names are imported on first use, so ``hopia --help`` does not load scikit-learn.
_EXPORTS = {
    "BASELINE_OF_TASK": "hopia.models._baselines",
    "charlson_index": "hopia.models._baselines",
    "lace_points": "hopia.models._baselines",
    "lace_scores": "hopia.models._baselines",
    "news2_points": "hopia.models._baselines",
    "news2_scores": "hopia.models._baselines",
    "LightGBMRiskModel": "hopia.models._estimators",
    "LogisticRiskModel": "hopia.models._estimators",
    "value_columns": "hopia.models._estimators",
    "contributions": "hopia.models._explain",
    "describe_feature": "hopia.models._explain",
    "explain_rows": "hopia.models._explain",
    "feature_importance_table": "hopia.models._explain",
    "readable_feature": "hopia.models._explain",
    "RegisteredModel": "hopia.models._registry",
    "list_models": "hopia.models._registry",
    "load_model": "hopia.models._registry",
    "register_model": "hopia.models._registry",
    "Split": "hopia.models._split",
    "person_folds": "hopia.models._split",
    "person_split": "hopia.models._split",
    "split_rows": "hopia.models._split",
    "temporal_split": "hopia.models._split",
    "TrainingResult": "hopia.models._train",
    "train_task": "hopia.models._train",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "BASELINE_OF_TASK",
    "LightGBMRiskModel",
    "LogisticRiskModel",
    "RegisteredModel",
    "Split",
    "TrainingResult",
    "charlson_index",
    "contributions",
    "describe_feature",
    "explain_rows",
    "feature_importance_table",
    "lace_points",
    "lace_scores",
    "list_models",
    "load_model",
    "news2_points",
    "news2_scores",
    "person_folds",
    "person_split",
    "readable_feature",
    "register_model",
    "split_rows",
    "temporal_split",
    "train_task",
    "value_columns",
]
