"""Model verbs: ``hopia train TASK`` and ``hopia models list|show``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

models_app = typer.Typer(
    help="The model registry: list and show trained models.", no_args_is_help=True
)


def train_cmd(
    task: Annotated[str, typer.Argument(help="Built-in task name or path to a task YAML.")],
    model: Annotated[str, typer.Option("--model", help="lightgbm or logistic.")] = "lightgbm",
    split: Annotated[str, typer.Option("--split", help="temporal or person.")] = "temporal",
    seed: Annotated[int, typer.Option("--seed", help="Seed of split, model and bootstrap.")] = 42,
    resamples: Annotated[
        int, typer.Option("--resamples", min=0, help="Bootstrap resamples.")
    ] = 1000,
    warehouse: Annotated[
        str | None,
        typer.Option("--warehouse", "-w", help="Warehouse URL (default HOPIA_WAREHOUSE)."),
    ] = None,
    models_dir: Annotated[
        Path | None,
        typer.Option("--models-dir", help="Registry root (default HOPIA_DATA_DIR/models)."),
    ] = None,
) -> None:
    """Train a task's model, evaluate it beside its clinical baseline, and register it."""
    from rich.console import Console

    from hopia.errors import InputError
    from hopia.models import train_task

    if model not in ("lightgbm", "logistic"):
        raise InputError("--model", f"expected lightgbm or logistic, got {model!r}")
    if split not in ("temporal", "person"):
        raise InputError("--split", f"expected temporal or person, got {split!r}")
    console = Console(stderr=True)
    with console.status("training …") as status:
        result = train_task(
            task, model=model, split=split, seed=seed, warehouse=warehouse,
            models_dir=models_dir, n_resamples=resamples,
            progress=lambda message: status.update(message),
        )  # fmt: skip
    summary = result.metrics["summary"]
    typer.echo(
        f"{task} {result.version}: AUROC {summary['auroc']:.3f} "
        f"(95 % CI {summary['auroc_lower']:.3f}–{summary['auroc_upper']:.3f})"
    )
    if result.metrics.get("baseline"):
        b = result.metrics["baseline"]
        verdict = "beats" if summary["beats_baseline"] else "does NOT beat"
        typer.echo(
            f"  {verdict} {b['name']} (AUROC {summary['baseline_auroc']:.3f}; difference "
            f"{b['auroc_difference']:+.3f}, 95 % CI {b['lower']:+.3f} to {b['upper']:+.3f})"
        )
    typer.echo(f"  registered in {result.path} (report: {result.path / 'report.html'})")


@models_app.command("list")
def list_cmd(
    models_dir: Annotated[Path | None, typer.Option("--models-dir", help="Registry root.")] = None,
) -> None:
    """List the registered models."""
    from rich.console import Console
    from rich.table import Table

    from hopia.models import list_models

    frame = list_models(models_dir)
    if frame.empty:
        typer.echo("no registered model")
        return
    table = Table()
    for column in frame.columns:
        table.add_column(column)
    for row in frame.itertuples(index=False):
        table.add_row(
            *["—" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v)) for v in row]
        )
    Console().print(table)


@models_app.command("show")
def show_cmd(
    name: Annotated[str, typer.Argument(help="TASK or TASK/VERSION.")],
    models_dir: Annotated[Path | None, typer.Option("--models-dir", help="Registry root.")] = None,
) -> None:
    """Show a registered model: manifest, headline metrics, where its report is."""
    import json

    from hopia.models import load_model

    task, _, version = name.partition("/")
    entry = load_model(task, version or None, models_dir=models_dir)
    manifest = entry.manifest
    summary = entry.metrics.get("summary", {})
    lines = [
        f"{entry.task}/{entry.version}  ({manifest.get('estimator')}, split {manifest.get('split', {}).get('how')})",
        f"  data snapshot  {manifest.get('data_snapshot_id')}  {manifest.get('data_source', '')}",
        f"  trained        {manifest.get('created')}  in {manifest.get('training_seconds')} s, seed {manifest.get('seed')}",
        f"  features       {len(entry.feature_names)}",
        f"  AUROC          {summary.get('auroc', float('nan')):.3f} "
        f"({summary.get('auroc_lower', float('nan')):.3f}–{summary.get('auroc_upper', float('nan')):.3f})",
    ]
    if summary.get("baseline"):
        lines.append(
            f"  baseline       {summary['baseline']} AUROC {summary['baseline_auroc']:.3f}; "
            + ("beaten" if summary.get("beats_baseline") else "NOT beaten")
        )
    lines.append(f"  report         {entry.report_path}")
    lines.append("  libraries      " + json.dumps(manifest.get("library_versions", {})))
    typer.echo("\n".join(lines))


def register(app: typer.Typer) -> None:
    """Attach ``hopia train`` and ``hopia models``."""
    app.command("train")(train_cmd)
    app.add_typer(models_app, name="models")
