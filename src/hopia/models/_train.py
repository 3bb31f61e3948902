"""Train a task end to end: labels → features → split → fit → evaluate (with baseline) → register.

Examples
--------
Train the readmission model on the warehouse and register it::

    result = train_task("readmission_30d", model="lightgbm", split="temporal", seed=42)
    print(result.path, result.evaluation.metric("auroc"))
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hopia.errors import InputError

MODELS = ("lightgbm", "logistic")
SUBGROUPS = ("sex", "age_band", "unit")


@dataclass
class TrainingResult:
    """What :func:`train_task` produced."""

    path: Path
    version: str
    evaluation: Any
    subgroups: pd.DataFrame
    metrics: dict[str, Any]
    model: Any


def make_model(name: str, seed: int, n_jobs: int | None = None) -> Any:
    """A fresh estimator by name (``lightgbm`` or ``logistic``)."""
    from hopia.models._estimators import LightGBMRiskModel, LogisticRiskModel

    if name == "lightgbm":
        return LightGBMRiskModel(random_state=seed, n_jobs=n_jobs)
    if name == "logistic":
        return LogisticRiskModel(random_state=seed)
    raise InputError("train", f"model must be one of {', '.join(MODELS)}, got {name!r}")


def _task_text(task: Any) -> dict[str, str]:
    data = task.model_dump(mode="json")
    population = data.get("population", {})
    index = data.get("index", {})
    outcome = data.get("outcome", {})
    return {
        "name": task.name,
        "description": (task.description or "").strip(),
        "population": ", ".join(
            f"{k}: {v}" for k, v in population.items() if v not in (None, [], {})
        ),
        "index": ", ".join(f"{k}: {v}" for k, v in index.items() if v not in (None, [], {})),
        "outcome": ", ".join(f"{k}: {v}" for k, v in outcome.items() if v not in (None, [], {})),
        "subgroups": ", ".join(data.get("subgroups", []) or []),
    }


def _align_labels(labels: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Label rows in the order of the feature matrix rows."""
    on = ["person_id", "visit_occurrence_id", "index_time"]
    left = keys[on].copy()
    right = labels.copy()
    for frame in (left, right):
        frame["index_time"] = pd.to_datetime(frame["index_time"]).astype("datetime64[us]")
        frame["visit_occurrence_id"] = frame["visit_occurrence_id"].astype("Int64")
    merged = left.merge(right.drop_duplicates(on), on=on, how="left", validate="one_to_one")
    if merged["label"].isna().any():
        raise InputError("train", "feature rows without a label: the matrix and labels disagree")
    return merged


def train_task(
    task: str,
    *,
    model: str = "lightgbm",
    split: str = "temporal",
    seed: int = 42,
    warehouse: str | None = None,
    models_dir: str | Path | None = None,
    feature_spec: Any = None,
    n_resamples: int = 1000,
    test_fraction: float = 0.25,
    progress: Callable[[str], None] | None = None,
) -> TrainingResult:
    """Build a task's labels and features, train, evaluate beside the clinical baseline, register.

    Parameters
    ----------
    task : str
        Built-in task name or path to a task YAML.
    model : {"lightgbm", "logistic"}
    split : {"temporal", "person"}
    seed : int
        Seed of the split, the model and the bootstrap.
    warehouse : str, optional
        Warehouse URL (default ``HOPIA_WAREHOUSE``).
    models_dir : path, optional
        Registry root (default ``HOPIA_DATA_DIR/models``).
    feature_spec : FeatureSpec, optional
    n_resamples : int
        Bootstrap resamples of the evaluation.

    Returns
    -------
    TrainingResult
    """
    from hopia import __version__
    from hopia.evaluation import evaluate_predictions
    from hopia.evaluation._report import render_model_card
    from hopia.evaluation._subgroups import publishable_counts, subgroup_table
    from hopia.features import FeatureSpec, tabularize
    from hopia.models._baselines import BASELINE_OF_TASK, CLINICAL_THRESHOLDS, baseline_scores
    from hopia.models._explain import feature_importance_table, reference_ranges
    from hopia.models._registry import library_versions, models_root, register_model
    from hopia.models._split import split_rows
    from hopia.tasks import build_labels, load_task
    from hopia.warehouse import open_warehouse

    say = progress or (lambda message: None)
    estimator = make_model(model, seed)
    task_spec = load_task(task)
    spec = feature_spec or FeatureSpec()
    started = time.perf_counter()
    with open_warehouse(warehouse, read_only=True) as wh:
        say("building labels")
        label_set = build_labels(wh, task_spec)
        labels = label_set.to_pandas()
        if labels.empty:
            raise InputError(task_spec.name, "the task selects no rows in this warehouse")
        say(f"tabularizing {len(labels)} rows")
        matrix = tabularize(wh, label_set, spec)
        rows = _align_labels(labels, matrix.keys)
        y = rows["label"].astype(int).to_numpy()
        keys = matrix.keys
        parts = split_rows(keys, split, test_fraction=test_fraction, seed=seed)
        train, test = parts.train, parts.test
        if np.unique(y[train]).size < 2 or np.unique(y[test]).size < 2:
            raise InputError(task_spec.name, "the training or test part has only one outcome class")
        say(f"fitting {model} on {train.size} rows")
        fit_started = time.perf_counter()
        estimator.fit(
            matrix.X[train],
            y[train],
            index_time=keys["index_time"].to_numpy()[train] if split == "temporal" else None,
            groups=keys["person_id"].to_numpy()[train],
            feature_names=matrix.feature_names,
        )
        fit_seconds = time.perf_counter() - fit_started
        probability = estimator.predict_proba(matrix.X[test])[:, 1]
        scores: dict[str, np.ndarray] = {"model": probability}
        baseline = None
        if task_spec.name in BASELINE_OF_TASK:
            say("computing the clinical baseline")
            baseline = baseline_scores(wh, task_spec.name, keys.iloc[test].reset_index(drop=True))
            if baseline is not None:
                scores[baseline[0]] = baseline[1]
        snapshot_id = wh.snapshot_id
        source = wh.metadata.get("source", "")
        attrition = label_set.attrition.copy()
        # Drop the engine-side tables of the labels while the connection is still open.
        del label_set
        gc.collect()

    say(f"evaluating on {test.size} rows ({n_resamples} resamples)")
    persons = keys["person_id"].to_numpy()
    evaluation = evaluate_predictions(
        y[test],
        scores,
        person=persons[test],
        score_thresholds=CLINICAL_THRESHOLDS,
        n_resamples=n_resamples,
        seed=seed,
    )
    present = [c for c in SUBGROUPS if c in rows.columns]
    subgroups = subgroup_table(
        y[test],
        probability,
        rows.iloc[test][present].reset_index(drop=True),
        person=persons[test],
        n_resamples=min(n_resamples, 500),
        seed=seed,
    )
    importance = feature_importance_table(estimator, top=20)
    reference = reference_ranges(matrix.X[train], matrix.feature_names)
    estimator.reference_ranges_ = reference

    summary: dict[str, Any] = dict(
        zip(
            ["auroc", "auroc_lower", "auroc_upper"],
            evaluation.metric("auroc", "model"),
            strict=True,
        )
    )
    baseline_summary = None
    if baseline is not None:
        row = evaluation.comparisons.query("metric == 'auroc'").iloc[0]
        summary["baseline"] = baseline[0]
        summary["baseline_auroc"] = evaluation.metric("auroc", baseline[0])[0]
        summary["beats_baseline"] = bool(row.lower > 0)
        baseline_summary = {
            "name": baseline[0],
            "auroc_difference": float(row.difference),
            "lower": float(row.lower),
            "upper": float(row.upper),
        }
    test_counts = publishable_counts(evaluation.counts)
    train_counts = publishable_counts(
        {
            "n_rows": int(train.size),
            "n_persons": int(np.unique(persons[train]).size),
            "n_events": int(y[train].sum()),
        }
    )
    evaluation_dict = evaluation.to_dict()
    evaluation_dict["counts"] = test_counts
    metrics = {
        "summary": summary,
        "baseline": baseline_summary,
        "evaluation": evaluation_dict,
        "subgroups": _json_records(subgroups),
        "train_counts": train_counts,
    }
    manifest = {
        "model": model,
        "estimator": type(estimator).__name__,
        "params": {k: v for k, v in estimator.get_params().items() if _jsonable(v)},
        "data_snapshot_id": snapshot_id,
        "data_source": source,
        "hopia_version": __version__,
        "library_versions": library_versions(),
        "seed": seed,
        "trained_at": pd.Timestamp.now().isoformat(timespec="seconds"),
        "training_seconds": round(fit_seconds, 2),
        "pipeline_seconds": round(time.perf_counter() - started, 2),
        "split": {"how": parts.how, **parts.details},
        "calibration": {
            "method": estimator.calibration_used_,
            "rows": estimator.n_calibration_rows_,
            "held_out": "latest 20 % of the training period"
            if split == "temporal"
            else "20 % of training persons",
        },
        "n_features": len(matrix.feature_names),
    }
    task_dir = models_root(models_dir) / task_spec.name
    version = _peek_version(task_dir)
    html = render_model_card(
        task=_task_text(task_spec),
        version=version,
        model_name=_model_name(model),
        model_text=_model_text(estimator, model),
        evaluation=evaluation,
        subgroups=subgroups,
        importance=importance,
        importance_text=(
            "Share of the total gain of the trees' splits."
            if model == "lightgbm"
            else "Share of |coefficient| per standard deviation."
        ),
        manifest=manifest,
        split_text=_split_text(parts),
        train_counts=train_counts,
        test_counts=test_counts,
        n_features=len(matrix.feature_names),
        feature_text=f"windows {', '.join(spec.windows)}; aggregates {', '.join(spec.value_aggregates)}",
        attrition=attrition,
        baseline_name=baseline[0] if baseline else None,
        baseline_description=_baseline_text(baseline[0]) if baseline else "",
        limitations=_limitations(source, parts, baseline),
    )
    path = register_model(
        estimator,
        task=task_spec.name,
        task_yaml=_task_yaml(task_spec),
        feature_spec=spec.model_dump(mode="json"),
        feature_names=list(matrix.feature_names),
        metrics=_finite(metrics),
        report_html=html,
        manifest=manifest,
        models_dir=models_dir,
        version=version,
    )
    return TrainingResult(path, version, evaluation, subgroups, metrics, estimator)


def _peek_version(task_dir: Path) -> str:
    from hopia.models._registry import _next_version

    return _next_version(task_dir) if task_dir.is_dir() else "v1"


def _task_yaml(task: Any) -> str:
    import yaml

    return yaml.safe_dump(
        task.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True
    )


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _finite(value: Any) -> Any:
    """NaN and infinities become None (JSON has no NaN)."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, np.generic):
        return _finite(value.item())
    return value


def _json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict(orient="records")


def _model_name(model: str) -> str:
    return {"lightgbm": "LightGBM gradient-boosted trees", "logistic": "L2 logistic regression"}[
        model
    ]


def _model_text(estimator: Any, model: str) -> str:
    calibration = {
        "platt": "Platt scaling (logistic recalibration of the raw score)",
        "isotonic": "isotonic regression",
        "none": "none (too few rows or one outcome class in the held-out part)",
    }[estimator.calibration_used_]
    if model == "lightgbm":
        base = (
            f"LightGBM, {estimator.n_iter_} trees (early stopping on the held-out calibration rows), "
            f"learning rate {estimator.learning_rate}, {estimator.num_leaves} leaves, "
            f"at least {estimator.min_child_samples} rows per leaf. Missing measurements are left "
            "missing (absent entries of the sparse matrix); trees route them."
        )
    else:
        base = (
            f"Logistic regression with an L2 penalty (C = {estimator.C}) on features divided by "
            "their standard deviation; missing measurements imputed with the training median."
        )
    return f"{base} Probability calibration: {calibration}, fitted on {estimator.n_calibration_rows_} held-out training rows."


def _split_text(parts: Any) -> str:
    d = parts.details
    if parts.how == "temporal":
        return (
            f"Temporal: trained on index times up to {d['train_until']}, tested on "
            f"{d['test_from']} to {d['test_until']} (latest {d['test_fraction']:.0%} of rows); "
            f"{d['persons_in_both']} persons have rows on both sides."
        )
    return (
        f"By person: {d['test_fraction']:.0%} of persons (seed {d['seed']}) held out for testing."
    )


def _baseline_text(name: str) -> str:
    if name == "NEWS2":
        return (
            "NEWS2 (Royal College of Physicians, 2017) from the last vital signs in the 24 h "
            "before the prediction time (respiratory rate, SpO2 scale 1, oxygen, systolic "
            "pressure, pulse, consciousness, temperature); a missing vital scores 0. Alert "
            "thresholds 5 (urgent) and 7 (emergency)."
        )
    return (
        "LACE index (van Walraven 2010): length of stay, acute admission through the emergency "
        "department, Charlson comorbidity index (Quan ICD-10 codes known at discharge) and "
        "emergency visits in the previous 6 months. Alert threshold 10."
    )


def _limitations(source: str, parts: Any, baseline: Any) -> list[str]:
    items = []
    if "synth" in (source or "").lower():
        items.append(
            "Trained and tested on the synthetic hospital: the figures show that the pipeline "
            "works, not how the model would perform on real patients."
        )
    items.append(
        "Internal validation only (one hospital, one data snapshot): validate on local data "
        "before any clinical use, and monitor calibration after deployment."
    )
    if parts.how == "temporal":
        items.append(
            "Temporal validation on the latest period; rows of a person seen in training may "
            "appear in the test period, as in deployment."
        )
    else:
        items.append("Validation by person on the same period does not show drift over time.")
    items.append(
        "Features are counts and summaries of coded data; what is not coded (free-text "
        "notes, unrecorded vitals) is invisible to the model."
    )
    if baseline is not None and baseline[0] == "NEWS2":
        items.append(
            "NEWS2 is scored with missing vital signs counting 0, which favours rows with few observations."
        )
    items.append("Small subgroups have wide intervals; masked subgroups could not be assessed.")
    return items
