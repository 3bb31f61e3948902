"""Risk models with the scikit-learn contract and probability calibration.

Both models fit their base learner on the earlier part of the training rows and a
calibration map (Platt: logistic on the raw score; or isotonic) on a held-out part — the
latest ``calibration_fraction`` of the training period when ``index_time`` is given to
``fit``, otherwise a seeded random part that keeps each person (``groups``) on one side.

Examples
--------
>>> import numpy as np
>>> from hopia.models import LogisticRiskModel
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(400, 3))
>>> y = (X[:, 0] + rng.normal(size=400) > 0).astype(int)
>>> model = LogisticRiskModel().fit(X, y)
>>> model.predict_proba(X[:2]).shape
(2, 2)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # OpenMP threads spin-wait otherwise

_CALIBRATIONS = ("platt", "isotonic", "none")
_DENSE_ROWS = 16  # LightGBM scores at most this many CSR rows as a dense array
VALUE_AGGREGATES = ("last", "mean", "min", "max", "slope", "hours_since_last")
"""Feature aggregates whose absent entries mean "no value" rather than zero."""


def value_columns(feature_names: Sequence[str]) -> list[int]:
    """Columns whose absent sparse entries are missing values (measurements, age, …).

    Examples
    --------
    >>> value_columns(["LOINC/8867-4|last|24h", "ICD10/I50.9|count|365d", "age", "sex=F"])
    [0, 2]
    """
    out = []
    for j, name in enumerate(feature_names):
        parts = name.split("|")
        if (len(parts) == 3 and parts[1] in VALUE_AGGREGATES) or name in (
            "age",
            "hours_since_admission",
        ):
            out.append(j)
    return out


def resolve_threads(n_jobs: int | None) -> int:
    """``n_jobs`` when given, else ``HOPIA_THREADS`` (default: the machine's cores)."""
    if n_jobs is not None and n_jobs > 0:
        return int(n_jobs)
    from hopia.settings import get_settings

    return int(get_settings().threads)


def calibration_split(
    n_rows: int,
    y: np.ndarray,
    fraction: float,
    *,
    index_time: Sequence[Any] | np.ndarray | None,
    groups: Sequence[Any] | np.ndarray | None,
    seed: int | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Rows to fit on and rows to calibrate on, or None when either part would lack a class.

    With ``index_time`` the calibration rows are the latest ``fraction`` of the training
    period (persons seen before that cut-off are not removed: the split is by time, as the
    model will meet the future); otherwise persons (``groups``, each row its own person by
    default) are drawn at random.
    """
    if fraction <= 0 or n_rows < 10:
        return None
    if index_time is not None:
        times = np.asarray(index_time)
        if times.shape[0] != n_rows:
            raise ValueError(f"index_time has {times.shape[0]} rows, X has {n_rows}")
        order = np.argsort(times, kind="stable")
        n_cal = max(1, round(fraction * n_rows))
        calibrate = np.sort(order[n_rows - n_cal :])
        fit = np.sort(order[: n_rows - n_cal])
    else:
        ids = np.arange(n_rows) if groups is None else np.asarray(groups)
        if ids.shape[0] != n_rows:
            raise ValueError(f"groups has {ids.shape[0]} rows, X has {n_rows}")
        unique, inverse = np.unique(ids, return_inverse=True)
        rng = np.random.default_rng(seed)
        chosen = rng.permutation(unique.size)[: max(1, round(fraction * unique.size))]
        in_cal = np.isin(inverse.ravel(), chosen)
        calibrate, fit = np.flatnonzero(in_cal), np.flatnonzero(~in_cal)
    if np.unique(y[fit]).size < 2 or np.unique(y[calibrate]).size < 2:
        return None
    return fit, calibrate


class _Calibrated(ClassifierMixin, BaseEstimator):
    """Shared machinery: label encoding, the calibration split and map, probabilities."""

    def _raw_score(self, X: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_base(self, X: Any, y: np.ndarray, eval_set: tuple[Any, np.ndarray] | None) -> None:
        raise NotImplementedError  # pragma: no cover - abstract

    def _validate(self, X: Any, *, y: Any = "no_validation", reset: bool) -> Any:
        """``validate_data`` with the input rules of both models (sparse CSR, NaN allowed)."""
        return validate_data(
            self,
            X,
            y,
            reset=reset,
            accept_sparse="csr",
            dtype=np.float64,
            ensure_all_finite="allow-nan",
        )

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        index_time: Sequence[Any] | np.ndarray | None = None,
        groups: Sequence[Any] | np.ndarray | None = None,
        feature_names: Sequence[str] | None = None,
    ) -> Any:
        """Fit the model, then its calibration on the held-out part of the training rows.

        Parameters
        ----------
        X : array or sparse matrix, shape (n_rows, n_features)
        y : array, shape (n_rows,), two classes
        index_time : array, optional
            Prediction time of each row: the latest rows calibrate.
        groups : array, optional
            Person of each row: no person is on both sides of the calibration split.
        feature_names : sequence of str, optional
            Readable names (``LOINC/8867-4|last|24h``) kept in ``feature_names_``.

        Returns
        -------
        self
        """
        if self.calibration not in _CALIBRATIONS:
            raise ValueError(
                f"calibration must be one of {_CALIBRATIONS}, got {self.calibration!r}"
            )
        X, y = self._validate(X, y=y, reset=True)
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        self.classes_ = np.unique(y)
        if self.classes_.size < 2:
            raise ValueError("a risk model needs two classes; only one class is present")
        if y_type != "binary":
            raise ValueError(
                f"Only binary classification is supported. The type of the target is {y_type}."
            )
        target = (y == self.classes_[1]).astype(np.float64)
        names = list(feature_names) if feature_names is not None else None
        if names is not None and len(names) != X.shape[1]:
            raise ValueError(f"{len(names)} feature names for {X.shape[1]} columns")
        self.feature_names_ = names or [f"x{j}" for j in range(X.shape[1])]
        split = None
        if self.calibration != "none":
            split = calibration_split(
                X.shape[0],
                target,
                self.calibration_fraction,
                index_time=index_time,
                groups=groups,
                seed=self.random_state,
            )
        if split is None:
            self._fit_base(X, target, None)
            self.calibrator_ = None
            self.calibration_used_ = "none"
            self.n_calibration_rows_ = 0
            return self
        fit_rows, cal_rows = split
        X_fit, X_cal = X[fit_rows], X[cal_rows]
        self._fit_base(X_fit, target[fit_rows], (X_cal, target[cal_rows]))
        raw = self._raw_score(X_cal)
        if self.calibration == "platt":
            from sklearn.linear_model import LogisticRegression

            self.calibrator_ = LogisticRegression(C=1e6, max_iter=1000).fit(
                raw[:, None], target[cal_rows]
            )
        else:
            from sklearn.isotonic import IsotonicRegression

            self.calibrator_ = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
            self.calibrator_.fit(raw, target[cal_rows])
        self.calibration_used_ = self.calibration
        self.n_calibration_rows_ = int(cal_rows.size)
        return self

    def raw_score(self, X: Any) -> np.ndarray:
        """The base learner's log-odds, before calibration."""
        check_is_fitted(self)
        return self._raw_score(self._validate(X, reset=False))

    def _calibrated(self, raw: np.ndarray) -> np.ndarray:
        if self.calibrator_ is None:
            return 1.0 / (1.0 + np.exp(-raw))
        if self.calibration_used_ == "platt":
            return self.calibrator_.predict_proba(raw[:, None])[:, 1]
        return np.asarray(self.calibrator_.predict(raw), dtype=float)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probabilities of the two classes, shape ``(n_rows, 2)``."""
        p1 = self._calibrated(self.raw_score(X))
        return np.column_stack([1.0 - p1, p1])

    def decision_function(self, X: Any) -> np.ndarray:
        """Calibrated log-odds of the second class (positive means it is predicted)."""
        p1 = np.clip(self.predict_proba(X)[:, 1], 1e-15, 1 - 1e-15)
        return np.log(p1) - np.log1p(-p1)

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class."""
        check_is_fitted(self)
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def risk_and_contributions(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """``predict_proba(X)[:, 1]`` and ``hopia.models.contributions(self, X)`` at once.

        The same values, with the input checked once and the base learner called directly
        (the service scores one row per request, where these overheads dominate).

        Returns
        -------
        risk : array, shape (n_rows,)
            Calibrated probability of the outcome.
        contributions : array, shape (n_rows, n_features + 1)
            Contributions to the calibrated log-odds, last column the bias.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        raw, contributions = self._score_and_contributions(X)
        mapping = self.calibrated_logit_map()
        if self.calibrator_ is not None and mapping is not None:
            from scipy.special import expit

            # Platt: LogisticRegression.predict_proba of one feature, expit(a + b · raw).
            risk = expit(raw * mapping[1] + mapping[0])
        else:
            risk = self._calibrated(raw)
        if mapping is not None:
            contributions = contributions * mapping[1]
            contributions[:, -1] += mapping[0]
        return risk, contributions

    def _score_and_contributions(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Raw score and raw contributions of checked rows."""
        return self._raw_score(X), self.raw_contributions(X)

    def calibrated_logit_map(self) -> tuple[float, float] | None:
        """``(a, b)`` with calibrated logit ``a + b * raw`` (Platt), else None."""
        check_is_fitted(self)
        if self.calibrator_ is None:
            return 0.0, 1.0
        if self.calibration_used_ == "platt":
            return float(self.calibrator_.intercept_[0]), float(self.calibrator_.coef_[0, 0])
        return None

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True
        return tags


class LightGBMRiskModel(_Calibrated):
    """Gradient-boosted trees (LightGBM) with early stopping and calibration.

    Parameters
    ----------
    n_estimators : int, default 500
        Most boosting rounds; early stopping on the held-out calibration rows (30 rounds
        without improvement of the log-loss) usually stops earlier.
    learning_rate, num_leaves, min_child_samples, subsample, colsample_bytree, reg_lambda :
        LightGBM parameters.
    calibration : {"platt", "isotonic", "none"}, default "platt"
    calibration_fraction : float, default 0.2
        Share of the training rows (the latest, with ``index_time``) held out to calibrate.
    n_jobs : int, optional
        Threads; default ``HOPIA_THREADS``.
    random_state : int, default 0

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 4))
    >>> y = (X[:, 0] - X[:, 1] + rng.normal(size=500) > 0).astype(int)
    >>> model = LightGBMRiskModel(n_estimators=50, n_jobs=1).fit(X, y)
    >>> bool(model.predict_proba(X)[:, 1].mean() > 0.3)
    True
    """

    def __init__(
        self,
        *,
        n_estimators: int = 500,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 1.0,
        early_stopping_rounds: int = 30,
        calibration: str = "platt",
        calibration_fraction: float = 0.2,
        n_jobs: int | None = None,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.calibration = calibration
        self.calibration_fraction = calibration_fraction
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _fit_base(self, X: Any, y: np.ndarray, eval_set: tuple[Any, np.ndarray] | None) -> None:
        import lightgbm as lgb

        params = {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "bagging_fraction": self.subsample,
            "bagging_freq": 1 if self.subsample < 1 else 0,
            "feature_fraction": self.colsample_bytree,
            "lambda_l2": self.reg_lambda,
            "num_threads": resolve_threads(self.n_jobs),
            "seed": self.random_state,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }
        train = lgb.Dataset(X, label=y, params={"verbosity": -1})
        callbacks: list[Any] = []
        valid_sets = []
        if eval_set is not None and self.early_stopping_rounds:
            valid_sets = [lgb.Dataset(eval_set[0], label=eval_set[1], reference=train)]
            callbacks.append(lgb.early_stopping(self.early_stopping_rounds, verbose=False))
        self.booster_ = lgb.train(
            params,
            train,
            num_boost_round=self.n_estimators,
            valid_sets=valid_sets,
            callbacks=callbacks,
        )
        self.n_iter_ = int(self.booster_.best_iteration or self.booster_.current_iteration())

    def _raw_score(self, X: Any) -> np.ndarray:
        return np.asarray(
            self.booster_.predict(X, raw_score=True, num_iteration=self.n_iter_), dtype=float
        )

    def feature_importance(self) -> np.ndarray:
        """Total gain of each feature's splits (in the order of ``feature_names_``)."""
        check_is_fitted(self)
        return self.booster_.feature_importance(importance_type="gain", iteration=self.n_iter_)

    def raw_contributions(self, X: Any) -> np.ndarray:
        """Per-row contributions to the raw log-odds (TreeSHAP), last column the bias."""
        check_is_fitted(self)
        return self._tree_contributions(self._validate(X, reset=False))

    def _score_and_contributions(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        if sp.issparse(X) and X.shape[0] <= _DENSE_ROWS:
            # LightGBM answers a few dense rows faster than CSR (same trees, same values:
            # an absent sparse entry is a zero either way).
            X = X.toarray()
        return self._raw_score(X), self._tree_contributions(X)

    def _tree_contributions(self, X: Any) -> np.ndarray:
        out: Any = self.booster_.predict(X, pred_contrib=True, num_iteration=self.n_iter_)
        if isinstance(out, list):  # one matrix per class for multiclass boosters
            out = out[0]
        if sp.issparse(out):
            out = out.toarray()
        return np.asarray(out, dtype=float)


class LogisticRiskModel(_Calibrated):
    """L2-penalised logistic regression on standardised features, sparse-friendly.

    Missing values (NaN, and absent sparse entries of ``missing_columns`` such as
    measurements) are imputed with the training median by shifting the stored values, so a
    sparse matrix stays sparse; every column is then divided by its standard deviation
    (``StandardScaler(with_mean=False)``). Coefficients are per standard deviation.

    Parameters
    ----------
    C : float, default 1.0
        Inverse strength of the L2 penalty.
    missing_columns : "auto", list of int or None, default "auto"
        Columns whose absent sparse entries are missing; ``"auto"`` reads them from the
        ``feature_names`` given to ``fit`` (measurement aggregates, age).
    calibration, calibration_fraction, random_state :
        As :class:`LightGBMRiskModel`.
    max_iter : int, default 2000

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(300, 2))
    >>> y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    >>> LogisticRiskModel(calibration="none").fit(X, y).coef_.shape
    (2,)
    """

    def __init__(
        self,
        *,
        C: float = 1.0,
        missing_columns: str | Sequence[int] | None = "auto",
        calibration: str = "platt",
        calibration_fraction: float = 0.2,
        max_iter: int = 2000,
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.missing_columns = missing_columns
        self.calibration = calibration
        self.calibration_fraction = calibration_fraction
        self.max_iter = max_iter
        self.random_state = random_state

    def _prepare(self, X: Any, *, learn: bool) -> Any:
        """Median-impute and standardise (learning the medians and scales when ``learn``)."""
        if learn:
            n_features = X.shape[1]
            if isinstance(self.missing_columns, str):
                sparse_missing = value_columns(self.feature_names_)
            else:
                sparse_missing = list(self.missing_columns or [])
            self.missing_columns_ = np.zeros(n_features, dtype=bool)
            self.missing_columns_[sparse_missing] = True
            self.medians_ = _column_medians(X, self.missing_columns_)
        X = _impute(X, self.medians_, self.missing_columns_)
        if learn:
            squares = X.multiply(X).mean(axis=0) if sp.issparse(X) else (X**2).mean(axis=0)
            means = X.mean(axis=0)
            variance = np.asarray(squares).ravel() - np.asarray(means).ravel() ** 2
            scale = np.sqrt(np.maximum(variance, 0.0))
            self.scale_ = np.where(scale > 1e-12, scale, 1.0)
            self.means_ = np.asarray(means).ravel() / self.scale_
        if sp.issparse(X):
            return sp.csr_matrix(X.multiply(1.0 / self.scale_[None, :]))
        return X / self.scale_[None, :]

    def _fit_base(self, X: Any, y: np.ndarray, eval_set: tuple[Any, np.ndarray] | None) -> None:
        from sklearn.linear_model import LogisticRegression

        Z = self._prepare(X, learn=True)
        model = LogisticRegression(C=self.C, max_iter=self.max_iter, tol=1e-6)
        model.fit(Z, y)
        self.coef_ = model.coef_.ravel()
        self.intercept_ = float(model.intercept_[0])
        self.n_iter_ = int(np.max(model.n_iter_))

    def _raw_score(self, X: Any) -> np.ndarray:
        Z = self._prepare(X, learn=False)
        return np.asarray(Z @ self.coef_).ravel() + self.intercept_

    def feature_importance(self) -> np.ndarray:
        """``|coefficient|`` per standard deviation of each feature."""
        check_is_fitted(self)
        return np.abs(self.coef_)

    def raw_contributions(self, X: Any) -> np.ndarray:
        """``coef × (standardised value − its training mean)``, last column the bias.

        Rows sum to the raw log-odds, as LightGBM's ``pred_contrib`` does.
        """
        check_is_fitted(self)
        Z = self._prepare(self._validate(X, reset=False), learn=False)
        Z = Z.toarray() if sp.issparse(Z) else np.asarray(Z)
        contributions = (Z - self.means_[None, :]) * self.coef_[None, :]
        bias = self.intercept_ + float(self.means_ @ self.coef_)
        return np.column_stack([contributions, np.full(Z.shape[0], bias)])


def _column_medians(X: Any, sparse_missing: np.ndarray) -> np.ndarray:
    """Median of the present values of each column (absent sparse entries of
    ``sparse_missing`` columns and NaN are not values)."""
    n_features = X.shape[1]
    medians = np.zeros(n_features)
    if sp.issparse(X):
        csc = X.tocsc()
        for j in range(n_features):
            stored = csc.data[csc.indptr[j] : csc.indptr[j + 1]]
            stored = stored[~np.isnan(stored)]
            if sparse_missing[j]:
                values = stored
            else:
                zeros = X.shape[0] - (csc.indptr[j + 1] - csc.indptr[j])
                values = np.concatenate([stored, np.zeros(zeros)])
            medians[j] = float(np.median(values)) if values.size else 0.0
        return medians
    with np.errstate(all="ignore"):
        medians = np.nanmedian(np.where(np.isnan(X).all(axis=0), 0.0, X), axis=0)
    return np.nan_to_num(np.asarray(medians, dtype=float))


def _impute(X: Any, medians: np.ndarray, sparse_missing: np.ndarray) -> Any:
    """NaN → median; for ``sparse_missing`` columns of a sparse matrix, shift the stored
    values by the median so that an absent entry stands for the median (sparsity kept)."""
    if sp.issparse(X):
        X = sp.csr_matrix(X, copy=True)
        X.sum_duplicates()
        columns = X.indices
        nan = np.isnan(X.data)
        X.data[nan] = medians[columns[nan]]
        shift = sparse_missing[columns]
        # x - median: an absent entry now stands for the median; the constant shift is
        # absorbed by the intercept.
        X.data[shift] -= medians[columns[shift]]
        return X
    X = np.array(X, dtype=float, copy=True)
    rows, cols = np.nonzero(np.isnan(X))
    X[rows, cols] = medians[cols]
    return X
