"""``hopia synth``: generate the synthetic CHRU and write it as the warehouse."""

from __future__ import annotations

from typing import Annotated

import typer


def synth_cmd(
    patients: Annotated[int, typer.Option("--patients", "-n", help="Number of patients.")] = 20_000,
    years: Annotated[
        float, typer.Option("--years", "-y", help="Length of the window in years.")
    ] = 3,
    seed: Annotated[
        int, typer.Option("--seed", "-s", help="Random seed (same seed, same tables).")
    ] = 42,
    start: Annotated[
        str, typer.Option("--start", help="First day of the window (ISO date).")
    ] = "2022-01-01",
    warehouse: Annotated[
        str | None,
        typer.Option(
            "--warehouse", "-w", help="Warehouse URL (default: HOPIA_WAREHOUSE or ./hopia-data)."
        ),
    ] = None,
) -> None:
    """Generate a synthetic French CHRU (OMOP CDM 5.4 + ground truth) into the warehouse."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hopia.settings import get_settings
    from hopia.synth._hospital import STEPS, generate_hospital
    from hopia.warehouse import write_warehouse

    url = warehouse or get_settings().warehouse_url
    if url.startswith("duckdb:///"):
        from pathlib import Path

        Path(url.removeprefix("duckdb:///")).parent.mkdir(parents=True, exist_ok=True)
    columns = (
        TextColumn("{task.description:<14}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as progress:
        task = progress.add_task("synthesising", total=len(STEPS) + 1)

        def step(name: str) -> None:
            progress.update(task, advance=1, description=name)

        hospital = generate_hospital(patients, years, seed, start, progress=step)
        progress.update(task, description="writing")
        write_warehouse(hospital.tables, url, extra=hospital.extra, source=hospital.source)
        progress.update(task, advance=1, description="done")
    rows = hospital.summary
    typer.echo(
        f"synthetic CHRU written to {url}: {rows['person']} persons, {rows['visit_occurrence']} visits, "
        f"{rows['measurement']} measurements, {rows['note']} notes (seed {seed})"
    )


def register(app: typer.Typer) -> None:
    """Attach ``hopia synth``."""
    app.command("synth")(synth_cmd)
