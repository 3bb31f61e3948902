"""Feature verb: ``hopia features TASK --out features.parquet``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def features_cmd(
    task: Annotated[str, typer.Argument(help="Built-in task name or path to a task YAML.")],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Parquet file (long form: row keys, feature, value)."),
    ],
    spec: Annotated[
        Path | None,
        typer.Option("--spec", help="Feature spec YAML (default windows 24h, 7d, 365d, all)."),
    ] = None,
    warehouse: Annotated[
        str | None,
        typer.Option(
            "--warehouse", "-w", help="Warehouse URL (default: HOPIA_WAREHOUSE or ./hopia-data)."
        ),
    ] = None,
) -> None:
    """Build a task's labels and their feature matrix, and write the matrix to Parquet."""
    from rich.console import Console

    from hopia.features import load_feature_spec
    from hopia.tasks import load_task
    from hopia.warehouse import open_warehouse

    task_spec = load_task(task)
    feature_spec = load_feature_spec(spec)
    with (
        open_warehouse(warehouse, read_only=True) as wh,
        Console().status(f"tabularizing {task_spec.name} …"),
    ):
        matrix = _matrix_of(wh, task_spec, feature_spec)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    try:
        matrix.to_parquet(partial)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    rows, columns = matrix.shape
    typer.echo(f"{rows} rows × {columns} features ({matrix.X.nnz} stored values) written to {out}")


def _matrix_of(wh: Any, task: Any, spec: Any) -> Any:
    """The feature matrix; the lazy labels (and the engine tables they cache) die here, before
    the warehouse closes."""
    from hopia.features import tabularize
    from hopia.tasks import build_labels

    return tabularize(wh, build_labels(wh, task), spec)


def register(app: typer.Typer) -> None:
    """Attach ``hopia features``."""
    app.command("features")(features_cmd)
