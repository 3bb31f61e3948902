"""Explanations: readable feature names, global importance, per-prediction contributions.

Feature names such as ``LOINC/8867-4|last|24h`` become "Heart rate (last value, 24 h)";
a contribution becomes a phrase a clinician can read: "High heart rate (last 24 h:
118 /min) — raises the risk".

Examples
--------
>>> readable_feature("LOINC/8867-4|last|24h")
'Heart rate (last value, 24 h)'
>>> describe_feature("LOINC/8867-4|last|24h", 118.0, low=60.0, high=100.0)
'High heart rate (last 24 h: 118 /min)'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hopia.warehouse.vocab import LABS, VITALS

_LABELS = {
    "heart_rate": ("heart rate", "/min"),
    "respiratory_rate": ("respiratory rate", "/min"),
    "spo2": ("SpO2", "%"),
    "temperature": ("temperature", "°C"),
    "systolic_bp": ("systolic blood pressure", "mmHg"),
    "diastolic_bp": ("diastolic blood pressure", "mmHg"),
    "glasgow": ("Glasgow coma score", ""),
    "avpu": ("reduced consciousness (AVPU)", ""),
    "oxygen_flow": ("oxygen flow", "L/min"),
    "creatinine": ("creatinine", "µmol/L"),
    "haemoglobin": ("haemoglobin", "g/dL"),
    "wbc": ("white cell count", "10⁹/L"),
    "platelets": ("platelets", "10⁹/L"),
    "crp": ("CRP", "mg/L"),
    "lactate": ("lactate", "mmol/L"),
    "sodium": ("sodium", "mmol/L"),
    "potassium": ("potassium", "mmol/L"),
    "glucose": ("glucose", "mmol/L"),
    "hba1c": ("HbA1c", "%"),
    "troponin": ("troponin", "ng/L"),
    "bnp": ("BNP", "pg/mL"),
}
KNOWN_CODES: dict[str, tuple[str, str]] = {
    code: _LABELS[name] for name, code in {**VITALS, **LABS}.items() if name in _LABELS
}
"""``LOINC/…`` code → (readable name, unit) for the vital signs and labs hopia knows."""

_VISITS = {
    "VISIT/IP": "inpatient stays",
    "VISIT/ER": "emergency visits",
    "VISIT/ERIP": "emergency admissions",
    "VISIT/OP": "outpatient visits",
}
_AGGREGATES = {
    "last": "last value",
    "mean": "mean",
    "min": "lowest",
    "max": "highest",
    "slope": "trend per hour",
    "count": "count",
    "hours_since_last": "hours since last seen",
}


def _window(window: str) -> str:
    if window == "all":
        return "all history"
    return f"{window[:-1]} {window[-1]}"


def _code_name(code: str, concept_names: Mapping[str, str] | None) -> tuple[str, str]:
    if concept_names and code in concept_names:
        return concept_names[code], ""
    if code in KNOWN_CODES:
        return KNOWN_CODES[code]
    if code in _VISITS:
        return _VISITS[code], ""
    if code.startswith("UNIT/"):
        return f"stays in unit {code[5:]}", ""
    vocabulary, _, concept = code.partition("/")
    return (f"{vocabulary} {concept}" if concept else code), ""


def readable_feature(name: str, concept_names: Mapping[str, str] | None = None) -> str:
    """A feature name in words.

    Examples
    --------
    >>> readable_feature("ICD10/I50.9|count|365d")
    'ICD10 I50.9 (count, 365 d)'
    >>> readable_feature("unit=REA")
    'Current unit: REA'
    """
    if name == "age":
        return "Age (years)"
    if name == "hours_since_admission":
        return "Hours since admission"
    if "=" in name and "|" not in name:
        key, _, value = name.partition("=")
        return {"sex": "Sex", "unit": "Current unit"}.get(key, key.capitalize()) + f": {value}"
    parts = name.split("|")
    if len(parts) != 3:
        return name
    code, aggregate, window = parts
    label, _ = _code_name(code, concept_names)
    label = label[:1].upper() + label[1:]
    return f"{label} ({_AGGREGATES.get(aggregate, aggregate)}, {_window(window)})"


def _number(value: float) -> str:
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.3g}"


def describe_feature(
    name: str,
    value: float | None,
    *,
    low: float | None = None,
    high: float | None = None,
    concept_names: Mapping[str, str] | None = None,
) -> str:
    """One feature value in plain words; ``low``/``high`` (e.g. training quartiles) say when
    a value is called low or high.

    Examples
    --------
    >>> describe_feature("LOINC/2524-7|max|24h", 4.1, low=0.9, high=2.0)
    'High lactate (highest 24 h: 4.1 mmol/L)'
    >>> describe_feature("ICD10/I50.9|count|365d", 2)
    'ICD10 I50.9: 2 in the last 365 d'
    >>> describe_feature("sex=F", 1)
    'Sex: F'
    """
    missing = value is None or (isinstance(value, float) and np.isnan(value))
    if name == "age":
        return "Age unknown" if missing else f"Age {value:.0f} years"
    if name == "hours_since_admission":
        return "Time since admission unknown" if missing else f"{value:.0f} h since admission"
    if "=" in name and "|" not in name:
        return readable_feature(name)
    parts = name.split("|")
    if len(parts) != 3:
        return f"{name}: {'—' if missing else _number(float(value))}"  # type: ignore[arg-type]
    code, aggregate, window = parts
    label, unit = _code_name(code, concept_names)
    when = "all history" if window == "all" else _window(window)
    if aggregate == "count":
        count = 0 if missing else round(float(value))  # type: ignore[arg-type]
        span = "ever" if window == "all" else f"in the last {_window(window)}"
        return f"{label[:1].upper() + label[1:]}: {count} {span}"
    if aggregate == "hours_since_last":
        if missing:
            return f"{label[:1].upper() + label[1:]}: never recorded"
        return f"{label[:1].upper() + label[1:]}: last recorded {_number(float(value))} h ago"  # type: ignore[arg-type]
    if missing:
        return f"{label[:1].upper() + label[1:]} not measured ({when})"
    level = ""
    if high is not None and float(value) > high:  # type: ignore[arg-type]
        level = "High "
    elif low is not None and float(value) < low:  # type: ignore[arg-type]
        level = "Low "
    shown = f"{_number(float(value))} {unit}".strip()  # type: ignore[arg-type]
    what = _AGGREGATES.get(aggregate, aggregate)
    what = "last" if aggregate == "last" else what
    subject = f"{level}{label}" if level else label[:1].upper() + label[1:]
    return f"{subject} ({what} {when}: {shown})"


def feature_importance_table(
    model: Any, top: int | None = 20, concept_names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Global importance (LightGBM: total gain; logistic: |coefficient| per SD), as shares.

    Returns
    -------
    DataFrame
        ``feature, readable, importance, share`` sorted by importance, at most ``top`` rows.
    """
    importance = np.asarray(model.feature_importance(), dtype=float)
    names = list(model.feature_names_)
    total = importance.sum()
    table = pd.DataFrame(
        {
            "feature": names,
            "readable": [readable_feature(n, concept_names) for n in names],
            "importance": importance,
            "share": importance / total if total > 0 else np.zeros_like(importance),
        }
    ).sort_values("importance", ascending=False, kind="stable")
    table = table[table.importance > 0]
    return (table.head(top) if top else table).reset_index(drop=True)


def contributions(model: Any, X: Any) -> np.ndarray:
    """Per-row contributions to the *calibrated* log-odds, last column the bias.

    LightGBM: TreeSHAP (``pred_contrib``); logistic: coefficient × standardised value
    (centred). With Platt calibration (``logit p = a + b · raw``) contributions are scaled
    by ``b`` and the bias becomes ``a + b · bias``, so each row sums to ``logit p``. With
    isotonic calibration the raw-score contributions are returned (their sum is the raw
    log-odds, a monotone transform of the risk).
    """
    raw = model.raw_contributions(X)
    mapping = model.calibrated_logit_map()
    if mapping is None:
        return raw
    a, b = mapping
    out = raw * b
    out[:, -1] += a
    return out


def explain_rows(
    model: Any,
    X: Any,
    *,
    top: int = 5,
    reference: pd.DataFrame | None = None,
    concept_names: Mapping[str, str] | None = None,
) -> list[list[dict[str, Any]]]:
    """The ``top`` features that move each row's risk most, with a phrase each.

    Parameters
    ----------
    model : fitted LightGBMRiskModel or LogisticRiskModel
    X : sparse or dense matrix of the rows to explain
    reference : DataFrame, optional
        Indexed by feature name with columns ``low`` and ``high`` (e.g. training quartiles of
        present values) to call a value low or high.

    Returns
    -------
    list (one per row) of dicts ``feature, readable, value, contribution, direction, phrase``.
    """
    import scipy.sparse as sp

    values = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)
    if sp.issparse(X):
        present = X.toarray() != 0
        values = np.where(present, values, np.nan)
    contrib = contributions(model, X)[:, :-1]
    names: Sequence[str] = model.feature_names_
    out = []
    for i in range(contrib.shape[0]):
        order = np.argsort(-np.abs(contrib[i]), kind="stable")[:top]
        rows = []
        for j in order:
            if contrib[i, j] == 0:
                continue
            name = names[j]
            low = high = None
            if reference is not None and name in reference.index:
                low, high = reference.loc[name, "low"], reference.loc[name, "high"]
            value = values[i, j]
            if np.isnan(value) and name.split("|")[1:2] == ["count"]:
                value = 0.0
            direction = "raises the risk" if contrib[i, j] > 0 else "lowers the risk"
            phrase = describe_feature(name, value, low=low, high=high, concept_names=concept_names)
            rows.append(
                {
                    "feature": name,
                    "readable": readable_feature(name, concept_names),
                    "value": None if np.isnan(value) else float(value),
                    "contribution": float(contrib[i, j]),
                    "direction": direction,
                    "phrase": f"{phrase} — {direction}",
                }
            )
        out.append(rows)
    return out


def reference_ranges(X: Any, feature_names: Sequence[str]) -> pd.DataFrame:
    """Lower and upper quartiles of the present values of each feature (training rows)."""
    import scipy.sparse as sp

    csc = sp.csc_matrix(X)
    lows, highs = [], []
    for j in range(csc.shape[1]):
        stored = csc.data[csc.indptr[j] : csc.indptr[j + 1]]
        stored = stored[~np.isnan(stored)]
        if stored.size:
            lows.append(float(np.quantile(stored, 0.25)))
            highs.append(float(np.quantile(stored, 0.75)))
        else:
            lows.append(np.nan)
            highs.append(np.nan)
    return pd.DataFrame({"low": lows, "high": highs}, index=list(feature_names))
