"""The model card: one self-contained HTML file (inline SVG plots, no external asset).

Examples
--------
>>> baseline_verdict("NEWS2", 0.04, 0.02, 0.06)
'The model discriminates better than NEWS2: AUROC difference +0.040 (95 % CI +0.020 to +0.060).'
"""

from __future__ import annotations

import math
from importlib.resources import files
from typing import Any

import pandas as pd

from hopia.evaluation._bootstrap import Evaluation
from hopia.evaluation._svg import calibration_svg, decision_curve_svg

METRIC_MEANINGS = {
    "auroc": "chance that a random patient with the outcome is ranked above one without (0.5 = coin toss)",
    "auprc": "average precision over all thresholds (compare with the event rate)",
    "brier": "mean squared error of the predicted risk (lower is better)",
    "calibration_intercept": "0 when predicted risks are right on average; > 0 means risks are too low",
    "calibration_slope": "1 when risks are neither too extreme (< 1) nor too timid (> 1)",
    "ece": "average gap between predicted and observed risk over tenths of risk",
    "observed_expected": "observed events / sum of predicted risks (1 is ideal)",
}

TRIPOD_ITEMS = [
    (
        "Title and abstract: identifies the study as developing and evaluating a prediction model",
        "Title, summary box",
    ),
    ("Background and objectives: intended use and users, clinical decision", "Section 1"),
    ("Source of data, study dates, setting", "Section 3 (snapshot, split dates)"),
    ("Participants: eligibility criteria", "Section 2 (population), attrition table"),
    ("Outcome: definition and time of assessment", "Section 2"),
    (
        "Predictors: definition and time of measurement",
        "Sections 3 and 9 (only data known at the prediction time)",
    ),
    ("Sample size: rows, persons and events", "Sections 3 and 5 (small counts masked)"),
    ("Missing data: how handled", "Section 4 and Limitations"),
    ("Analysis: model type, tuning, calibration", "Section 4"),
    ("Performance measures with confidence intervals", "Sections 5 and 6"),
    ("Model updating / recalibration", "Section 4 (calibration on held-out training period)"),
    ("Fairness: performance in subgroups", "Section 8"),
    ("Comparison with existing clinical scores", "Section 7"),
    ("Model explanations", "Section 9"),
    ("Limitations and generalisability", "Section 10"),
    ("Reproducibility: code, versions, seed", "Footer and manifest.json"),
]


def fmt(value: Any, digits: int = 3) -> str:
    """A number for the report ("—" when missing)."""
    if value is None:
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "—"
    return f"{number:.{digits}f}"


def count(value: Any) -> str:
    """A published count ("masked" when suppressed)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "masked"
    return str(int(value))


def baseline_verdict(name: str, difference: float, lower: float, upper: float) -> str:
    """One sentence saying whether the model beats the clinical baseline (AUROC, paired)."""
    ci = f"(95 % CI {lower:+.3f} to {upper:+.3f})"
    if lower > 0:
        return (
            f"The model discriminates better than {name}: AUROC difference {difference:+.3f} {ci}."
        )
    if upper < 0:
        return (
            f"The model discriminates worse than {name}: AUROC difference {difference:+.3f} {ci}."
        )
    return (
        f"The model does not beat {name}: AUROC difference {difference:+.3f} {ci}, "
        "an interval that includes no difference."
    )


def _threshold_rows(evaluation: Evaluation) -> list[dict[str, Any]]:
    rows: dict[tuple[str, float], dict[str, Any]] = {}
    for r in evaluation.thresholds.itertuples():
        entry = rows.setdefault(
            (r.score, r.threshold), {"score": r.score, "threshold": f"{r.threshold:g}"}
        )
        entry[r.metric] = {"estimate": r.estimate, "lower": r.lower, "upper": r.upper}
    return list(rows.values())


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None or frame.empty:
        return []
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict(orient="records")


def masked_attrition(attrition: pd.DataFrame | None, min_cell: int) -> list[dict[str, Any]]:
    """Attrition steps with counts below ``min_cell`` masked (each line ``before = removed +
    after``, or ``after = before + added``, is protected by secondary suppression)."""
    from hopia.privacy import suppress_small_counts

    if attrition is None or attrition.empty:
        return []
    out = []
    for row in attrition.to_dict(orient="records"):
        before, removed, after = (
            int(row["rows_before"]),
            int(row["rows_removed"]),
            int(row["rows_after"]),
        )
        if removed >= 0:
            cells = {"a": removed, "b": after, "c": before}
        else:
            cells = {"a": before, "b": -removed, "c": after}
        masked = suppress_small_counts(
            pd.DataFrame([cells]), ["a", "b", "c"], threshold=min_cell,
            total_column={"c": ["a", "b"]}, column_totals=False,
        ).iloc[0]  # fmt: skip
        shown = {k: count(masked[k]) for k in "abc"}
        if removed >= 0:
            values = (shown["c"], shown["a"], shown["b"])
        else:
            added = shown["b"] if shown["b"] == "masked" else f"+{shown['b']} (added)"
            values = (shown["a"], added, shown["c"])
        out.append(
            {
                "step": row["step"],
                "rows_before": values[0],
                "rows_removed": values[1],
                "rows_after": values[2],
            }
        )
    return out


def render_model_card(
    *,
    task: dict[str, Any],
    version: str,
    model_name: str,
    model_text: str,
    evaluation: Evaluation,
    subgroups: pd.DataFrame | None,
    importance: pd.DataFrame | None,
    importance_text: str,
    manifest: dict[str, Any],
    split_text: str,
    train_counts: dict[str, Any],
    test_counts: dict[str, Any],
    n_features: int,
    feature_text: str,
    attrition: pd.DataFrame | None = None,
    baseline_name: str | None = None,
    baseline_description: str = "",
    limitations: list[str] | None = None,
    min_cell: int | None = None,
) -> str:
    """Render the model card as one HTML string.

    ``train_counts`` and ``test_counts`` must already be masked (see
    ``publishable_counts``); ``evaluation`` holds the model as its first score and, when
    given, the baseline score named ``baseline_name``.
    """
    from jinja2 import Environment, select_autoescape

    from hopia.settings import get_settings

    threshold = get_settings().min_cell if min_cell is None else min_cell
    model_score = str(evaluation.metrics["score"].iloc[0])
    summary = {
        "auroc": evaluation.metric("auroc", model_score)[0],
        "auroc_lower": evaluation.metric("auroc", model_score)[1],
        "auroc_upper": evaluation.metric("auroc", model_score)[2],
    }
    baseline = None
    comparisons = evaluation.comparisons
    if baseline_name is not None and not comparisons.empty:
        comparisons = comparisons[comparisons.reference == baseline_name]
        auroc_row = comparisons[comparisons.metric == "auroc"].iloc[0]
        baseline = {
            "name": baseline_name,
            "description": baseline_description,
            "beats": bool(auroc_row.lower > 0),
            "sentence": baseline_verdict(
                baseline_name, auroc_row.difference, auroc_row.lower, auroc_row.upper
            ),
        }

    def counts_sentence(counts: dict[str, Any]) -> str:
        return (
            f"{count(counts.get('n_rows'))} rows, {count(counts.get('n_persons'))} persons, "
            f"{count(counts.get('n_events'))} events"
        )

    curve = evaluation.calibration[evaluation.calibration.score == model_score]
    decision = evaluation.decision_curve
    shares = (
        importance["share"].tolist() if importance is not None and not importance.empty else [1]
    )
    env = Environment(autoescape=select_autoescape(["html"]))
    template = env.from_string(
        files("hopia.evaluation").joinpath("templates/model_card.html").read_text(encoding="utf-8")
    )
    return template.render(
        task=task,
        version=version,
        model_name=model_name,
        model_text=model_text,
        manifest=manifest,
        summary=summary,
        baseline=baseline,
        counts_text=counts_sentence(test_counts),
        train_counts=counts_sentence(train_counts),
        split={"how": manifest.get("split", {}).get("how", "")},
        split_text=split_text,
        n_features=n_features,
        feature_text=feature_text,
        attrition=masked_attrition(attrition, threshold),
        min_cell=threshold,
        settings=evaluation.settings,
        metrics=_records(evaluation.metrics),
        meaning=METRIC_MEANINGS,
        thresholds=_threshold_rows(evaluation),
        calibration_svg=calibration_svg(_records(curve), model_score),
        decision_svg=decision_curve_svg(_records(decision)),
        comparisons=_records(comparisons),
        subgroups=_records(subgroups),
        importance=_records(importance),
        importance_text=importance_text,
        max_share=max(max(shares), 1e-12),
        limitations=limitations or [],
        tripod=TRIPOD_ITEMS,
        libraries=", ".join(f"{k} {v}" for k, v in manifest.get("library_versions", {}).items()),
        fmt=fmt,
        count=count,
    )
