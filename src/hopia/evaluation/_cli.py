"""Evaluation verb: ``hopia evaluate PREDICTIONS.parquet --label y --score p``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer


def _read_table(path: Path) -> Any:
    import pandas as pd

    from hopia.errors import InputError

    if not path.is_file():
        raise InputError(str(path), "file not found")
    try:
        if path.suffix.lower() in {".csv", ".txt"}:
            return pd.read_csv(path)
        return pd.read_parquet(path)
    except (OSError, ValueError) as error:
        raise InputError(str(path), f"cannot read the predictions: {error}") from None


def _column(frame: Any, name: str, path: Path, what: str) -> Any:
    from hopia.errors import InputError

    if name not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise InputError(str(path), f"no {what} column {name!r} (columns: {columns})", field=name)
    return frame[name]


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def evaluate_cmd(
    predictions: Annotated[Path, typer.Argument(help="Parquet (or CSV) file of predictions.")],
    label: Annotated[str, typer.Option("--label", help="Column of the 0/1 outcome.")] = "y",
    score: Annotated[
        list[str] | None,
        typer.Option("--score", help="Score column (repeat to compare; the first is the model)."),
    ] = None,
    person: Annotated[
        str | None,
        typer.Option("--person", help="Person id column: the bootstrap resamples persons."),
    ] = None,
    group: Annotated[
        list[str] | None,
        typer.Option("--group", help="Subgroup column (repeatable), e.g. sex, age_band, unit."),
    ] = None,
    threshold: Annotated[
        list[float] | None,
        typer.Option("--threshold", help="Probability threshold for sensitivity, PPV … (repeat)."),
    ] = None,
    resamples: Annotated[
        int, typer.Option("--resamples", min=0, help="Bootstrap resamples.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 42,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Evaluate predictions: every metric with a 95 % bootstrap CI resampled by person.

    AUROC, AUPRC, Brier score, calibration intercept and slope, ECE, calibration curve,
    decision curve, sensitivity / specificity / PPV / NPV at thresholds, subgroups (small
    counts masked), and paired comparisons when several scores are given.
    """
    from hopia.evaluation import DEFAULT_THRESHOLDS, evaluate_predictions
    from hopia.evaluation._subgroups import publishable_counts, subgroup_table

    frame = _read_table(predictions)
    scores = score or ["p"]
    y = _column(frame, label, predictions, "label").to_numpy(dtype=float)
    named = {
        name: _column(frame, name, predictions, "score").to_numpy(dtype=float) for name in scores
    }
    persons = _column(frame, person, predictions, "person").to_numpy() if person else None
    evaluation = evaluate_predictions(
        y,
        named,
        person=persons,
        thresholds=tuple(threshold) if threshold else DEFAULT_THRESHOLDS,
        n_resamples=resamples,
        seed=seed,
    )
    subgroups = None
    if group:
        groups = frame[[_column(frame, g, predictions, "group").name for g in group]]
        subgroups = subgroup_table(
            y, named[scores[0]], groups, person=persons, n_resamples=resamples, seed=seed
        )
    counts = publishable_counts(evaluation.counts)
    if as_json:
        out = evaluation.to_dict()
        out["counts"] = counts
        if subgroups is not None:
            clean = subgroups.astype(object).where(subgroups.notna(), None)
            out["subgroups"] = clean.to_dict(orient="records")
        typer.echo(json.dumps(out, indent=2, default=str))
        return
    _print_tables(evaluation, subgroups, counts)


def _print_tables(evaluation: Any, subgroups: Any, counts: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    shown = {k: ("<masked>" if v is None else v) for k, v in counts.items()}
    console.print(
        f"{shown['n_rows']} rows, {shown['n_persons']} persons, {shown['n_events']} events; "
        f"{evaluation.settings['n_resamples']} bootstrap resamples by "
        f"{evaluation.settings['resampled_by']} (seed {evaluation.settings['seed']})"
    )
    table = Table(title="Performance (95 % CI)")
    for column in ("score", "metric", "estimate", "95 % CI"):
        table.add_column(column)
    for row in evaluation.metrics.itertuples():
        table.add_row(
            row.score, row.metric, _fmt(row.estimate), f"{_fmt(row.lower)} – {_fmt(row.upper)}"
        )
    console.print(table)
    if not evaluation.thresholds.empty:
        table = Table(title="At thresholds (score ≥ t)")
        for column in ("score", "t", "metric", "estimate", "95 % CI"):
            table.add_column(column)
        for row in evaluation.thresholds.itertuples():
            table.add_row(
                row.score,
                f"{row.threshold:g}",
                row.metric,
                _fmt(row.estimate),
                f"{_fmt(row.lower)} – {_fmt(row.upper)}",
            )
        console.print(table)
    if not evaluation.comparisons.empty:
        table = Table(title="Paired differences (first score minus the other)")
        for column in ("score", "vs", "metric", "difference", "95 % CI", "p"):
            table.add_column(column)
        for row in evaluation.comparisons.itertuples():
            table.add_row(
                row.score,
                row.reference,
                row.metric,
                _fmt(row.difference),
                f"{_fmt(row.lower)} – {_fmt(row.upper)}",
                _fmt(row.p_value),
            )
        console.print(table)
    if subgroups is not None:
        table = Table(title="Subgroups (counts below HOPIA_MIN_CELL masked)")
        for column in ("group", "level", "rows", "events", "AUROC (95 % CI)", "O/E (95 % CI)"):
            table.add_column(column)
        for row in subgroups.itertuples():
            table.add_row(
                row.group,
                row.level,
                _count(row.n_rows),
                _count(row.n_events),
                f"{_fmt(row.auroc)} ({_fmt(row.auroc_lower)} – {_fmt(row.auroc_upper)})",
                f"{_fmt(row.observed_expected, 2)} ({_fmt(row.observed_expected_lower, 2)} – "
                f"{_fmt(row.observed_expected_upper, 2)})",
            )
        console.print(table)


def _count(value: Any) -> str:
    import pandas as pd

    return "<masked>" if pd.isna(value) else str(int(value))


def register(app: typer.Typer) -> None:
    """Attach ``hopia evaluate``."""
    app.command("evaluate")(evaluate_cmd)
