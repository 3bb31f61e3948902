"""Task verbs: ``hopia task list``, ``hopia task show NAME``, ``hopia task labels NAME --out FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

task_app = typer.Typer(help="Prediction tasks: list, show, build labels.", no_args_is_help=True)

WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse", "-w", help="Warehouse URL (default: HOPIA_WAREHOUSE or ./hopia-data)."
    ),
]


@task_app.command("list")
def list_cmd() -> None:
    """List the built-in tasks with the first line of their description."""
    from hopia.tasks import list_tasks, load_task

    for name in list_tasks():
        summary = load_task(name).description.strip().splitlines()[0]
        typer.echo(f"{name:<22} {summary}")


@task_app.command("show")
def show_cmd(
    name: Annotated[str, typer.Argument(help="Built-in task name or path to a task YAML.")],
) -> None:
    """Print a task's full spec (YAML), defaults included."""
    from hopia.tasks import load_task

    typer.echo(load_task(name).to_yaml(), nl=False)


@task_app.command("labels")
def labels_cmd(
    name: Annotated[str, typer.Argument(help="Built-in task name or path to a task YAML.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Parquet file to write the labels to.")],
    warehouse: WarehouseOption = None,
) -> None:
    """Build a task's labels, print the attrition table, and write the labels to Parquet."""
    from rich.console import Console
    from rich.table import Table

    from hopia.tasks import load_task
    from hopia.warehouse import open_warehouse

    task = load_task(name)
    console = Console()
    with open_warehouse(warehouse, read_only=True) as wh:
        with console.status(f"building labels for {task.name} …"):
            frame, attrition, outside = _labels_of(wh, task)
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(frame, out)
    table = Table(title=f"attrition — {task.name}")
    for column in ("step", "rows_before", "rows_removed", "rows_after"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for row in attrition.itertuples(index=False):
        table.add_row(row.step, str(row.rows_before), str(row.rows_removed), str(row.rows_after))
    console.print(table)
    positives = int(sum(frame.column("label").to_pylist()))
    typer.echo(f"{frame.num_rows} rows, {positives} positive, written to {out}")
    if outside:
        typer.secho(
            f"warning: {outside} index time(s) fall outside the person's observation period",
            fg=typer.colors.YELLOW,
            err=True,
        )


def _labels_of(wh: Any, task: Any) -> tuple[Any, Any, int]:
    """Labels (Arrow), attrition and the count of index times outside observation; the lazy
    label expression (and the engine tables it caches) is released before the warehouse closes."""
    from hopia.tasks import build_labels, index_outside_observation

    result = build_labels(wh, task)
    return (
        result.labels.to_pyarrow(),
        result.attrition,
        index_outside_observation(wh, result.labels),
    )


def _write_atomically(frame: object, out: Path) -> None:
    """Write to a temporary file beside ``out`` and rename, so a failure leaves nothing half-written."""
    import pyarrow.parquet as pq

    partial = out.with_name(f".{out.name}.partial")
    try:
        pq.write_table(frame, str(partial))
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    """Attach ``hopia task …``."""
    app.add_typer(task_app, name="task")
