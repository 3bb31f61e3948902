"""Performance by subgroup (sex, age band, care unit), small counts masked.

A model that is good on average can fail one group of patients; TRIPOD+AI asks for
performance in relevant subgroups. Each subgroup is evaluated with its own person-level
bootstrap, and counts below ``HOPIA_MIN_CELL`` are masked with secondary suppression
(``hopia.privacy.suppress_small_counts``) — the metrics of a masked group are withheld too,
since a prevalence or an observed/expected ratio would give its counts back.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 600)
>>> p = np.clip(0.5 * y + rng.uniform(0, 0.5, 600), 0, 1)
>>> groups = pd.DataFrame({"sex": rng.choice(["F", "M"], 600)})
>>> table = subgroup_table(y, p, groups, n_resamples=50, min_cell=10)
>>> table[["group", "level"]].values.tolist()
[['sex', 'F'], ['sex', 'M']]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hopia.errors import InputError
from hopia.evaluation._bootstrap import evaluate_predictions, person_codes

COUNT_COLUMNS = ["n_rows", "n_events", "n_non_events"]
METRIC_COLUMNS = [
    "prevalence",
    "auroc",
    "auroc_lower",
    "auroc_upper",
    "brier",
    "calibration_intercept",
    "observed_expected",
    "observed_expected_lower",
    "observed_expected_upper",
]


def subgroup_table(
    y: Sequence[float] | np.ndarray,
    probability: Sequence[float] | np.ndarray,
    groups: pd.DataFrame,
    *,
    person: Sequence[Any] | np.ndarray | None = None,
    n_resamples: int = 1000,
    seed: int = 42,
    min_cell: int | None = None,
) -> pd.DataFrame:
    """Discrimination and calibration of one score in every level of every group column.

    Parameters
    ----------
    y, probability : array, shape (n,)
        Outcome (0/1) and predicted probability.
    groups : DataFrame, n rows
        One column per grouping (e.g. ``sex``, ``age_band``, ``unit``); missing values form
        the level ``"unknown"``.
    person : array, optional
        Person of each row, for the person-level bootstrap.
    n_resamples, seed :
        Bootstrap settings (as :func:`evaluate_predictions`).
    min_cell : int, optional
        Counts below this are masked; default ``HOPIA_MIN_CELL``.

    Returns
    -------
    DataFrame
        ``group, level, n_rows, n_events, n_non_events`` (nullable integers, masked as
        ``<NA>``), ``masked`` (bool) and the metrics (NaN when masked or undefined).
    """
    from hopia.privacy import suppress_small_counts
    from hopia.settings import get_settings

    threshold = get_settings().min_cell if min_cell is None else min_cell
    y_arr = np.asarray(y, dtype=float).ravel()
    p_arr = np.asarray(probability, dtype=float).ravel()
    if len(groups) != y_arr.size or p_arr.size != y_arr.size:
        raise InputError("subgroup_table", "groups, outcome and probability differ in length")
    persons = person_codes(person, y_arr.size)
    tables = []
    for column in groups.columns:
        levels = groups[column].astype("string").fillna("unknown").to_numpy()
        rows = []
        for level in sorted(set(levels)):
            mask = levels == level
            n_events = int(y_arr[mask].sum())
            row: dict[str, Any] = {
                "group": str(column),
                "level": str(level),
                "n_rows": int(mask.sum()),
                "n_events": n_events,
                "n_non_events": int(mask.sum()) - n_events,
            }
            row.update(_metrics_of(y_arr[mask], p_arr[mask], persons[mask], n_resamples, seed))
            rows.append(row)
        table = pd.DataFrame(rows)
        masked = suppress_small_counts(
            table,
            COUNT_COLUMNS,
            threshold=threshold,
            total_column={"n_rows": ["n_events", "n_non_events"]},
        )
        hidden = masked[COUNT_COLUMNS].isna().any(axis=1)
        masked["masked"] = hidden
        for name in METRIC_COLUMNS:
            masked[name] = masked[name].astype(float).where(~hidden, np.nan)
        tables.append(masked)
    if not tables:
        return pd.DataFrame(columns=["group", "level", *COUNT_COLUMNS, "masked", *METRIC_COLUMNS])
    out = pd.concat(tables, ignore_index=True)
    return out[["group", "level", *COUNT_COLUMNS, "masked", *METRIC_COLUMNS]]


def publishable_counts(counts: dict[str, int], min_cell: int | None = None) -> dict[str, Any]:
    """Overall counts of an evaluation with small ones masked (``None``).

    Events and non-events are masked with secondary suppression, so that a masked count
    cannot be recomputed from the published total.

    Examples
    --------
    >>> publishable_counts({"n_rows": 500, "n_persons": 420, "n_events": 4}, min_cell=10)
    {'n_rows': 500, 'n_persons': 420, 'n_events': None}
    """
    import pandas as pd

    from hopia.privacy import suppress_small_counts

    table = pd.DataFrame(
        [
            {
                "n_rows": counts["n_rows"],
                "n_events": counts["n_events"],
                "n_non_events": counts["n_rows"] - counts["n_events"],
                "n_persons": counts["n_persons"],
            }
        ]
    )
    masked = suppress_small_counts(
        table,
        ["n_rows", "n_events", "n_non_events", "n_persons"],
        threshold=min_cell,
        total_column={"n_rows": ["n_events", "n_non_events"]},
        column_totals=False,
    )
    row = masked.iloc[0]
    return {
        name: None if pd.isna(row[name]) else int(row[name])
        for name in ("n_rows", "n_persons", "n_events")
    }


def _metrics_of(
    y: np.ndarray, p: np.ndarray, persons: np.ndarray, n_resamples: int, seed: int
) -> dict[str, float]:
    out = dict.fromkeys(METRIC_COLUMNS, np.nan)
    if y.size == 0:
        return out
    out["prevalence"] = float(y.mean())
    evaluation = evaluate_predictions(
        y,
        {"model": p},
        person=persons,
        thresholds=(),
        decision_thresholds=(0.5,),
        n_resamples=n_resamples,
        seed=seed,
    )
    for name in ("auroc", "brier", "calibration_intercept", "observed_expected"):
        estimate, lower, upper = evaluation.metric(name)
        out[name] = estimate
        if f"{name}_lower" in out:
            out[f"{name}_lower"] = lower
            out[f"{name}_upper"] = upper
    return out
