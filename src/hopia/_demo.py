"""``hopia demo``: the whole data flow on what the package ships, in a few minutes.

Each step is an ordinary hopia function; the demo only chains them and prints what they give:
a synthetic CHRU (or the sample Synthea FHIR bundles), quality checks, the warehouse summary,
then the later stages.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer


def demo_cmd(
    patients: Annotated[int, typer.Option(help="Patients in the synthetic hospital.")] = 20_000,
    years: Annotated[float, typer.Option(help="Years of activity.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of every random step.")] = 42,
    sample: Annotated[
        str,
        typer.Option(
            help="'synth' (the synthetic CHRU) or 'fhir' (the Synthea bundles shipped with hopia)."
        ),
    ] = "synth",
    data_dir: Annotated[
        str | None,
        typer.Option(help="Where the demo writes (default: HOPIA_DATA_DIR or ./hopia-data)."),
    ] = None,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the web service at the end.")
    ] = True,
) -> None:
    """Run the main job on the embedded default: build a hospital warehouse and take it through every stage."""
    from rich.console import Console

    from hopia.settings import get_settings

    if data_dir:
        os.environ["HOPIA_DATA_DIR"] = data_dir
        get_settings.cache_clear()
    console = Console()
    settings = get_settings()
    url = settings.warehouse_url
    console.rule("[bold]hopia demo")
    wh = _build_warehouse(console, url, sample, patients, years, seed)
    _quality(console, wh)
    from hopia.warehouse._cli import print_summary

    print_summary(wh.summary())
    _tasks(console, wh)
    wh.close()
    _train(console, seed)
    _pathways(console, url)
    _surveillance(console, url)
    console.rule("[bold]done")
    if serve:
        _serve(console)


def _build_warehouse(
    console: Any, url: str, sample: str, patients: int, years: float, seed: int
) -> Any:
    from hopia.warehouse import write_warehouse

    if sample == "fhir":
        from hopia.warehouse._fhir import fhir_to_omop, sample_fhir_paths

        with console.status("loading the sample Synthea FHIR bundles shipped with hopia …"):
            wh = write_warehouse(
                fhir_to_omop(sample_fhir_paths()),
                url,
                source="hopia sample: Synthea FHIR R4 bundles",
            )
    elif sample == "synth":
        from hopia.synth import generate_hospital

        with console.status(f"synthesising a CHRU: {patients:,} patients over {years:g} years …"):
            hospital = generate_hospital(patients, years, seed)
            wh = write_warehouse(hospital.tables, url, extra=hospital.extra, source=hospital.source)
    else:
        raise typer.BadParameter(
            f"expected 'synth' or 'fhir', got {sample!r}", param_hint="--sample"
        )
    console.print(f"[green]✓[/] warehouse built at {url}")
    return wh


def _quality(console: Any, wh: Any) -> None:
    from hopia.warehouse._quality import run_quality_checks

    results = run_quality_checks(wh)
    failed = [r for r in results if not r.passed]
    console.print(
        f"[green]✓[/] data quality: {len(results) - len(failed)} checks passed, {len(failed)} failed"
    )
    for r in failed:
        console.print(f"  [red]✗[/] {r.name}: {r.violations} of {r.rows} rows — {r.description}")


DEMO_TASKS = (
    "inhospital_mortality",
    "readmission_30d",
    "long_stay_7d",
    "ed_admission",
    "deterioration_48h",
)
"""The built-in tasks the demo labels and trains (every built-in task)."""


def _tasks(console: Any, wh: Any) -> None:
    from rich.table import Table

    from hopia.tasks import build_labels, load_task

    table = Table(title="prediction tasks (labels built in the engine)")
    for column in ("task", "rows", "persons", "outcome rate"):
        table.add_column(column, justify="left" if column == "task" else "right")
    for name in DEMO_TASKS:
        labels = build_labels(wh, load_task(name)).to_pandas()
        rate = labels["label"].mean() if len(labels) else float("nan")
        table.add_row(name, f"{len(labels):,}", f"{labels['person_id'].nunique():,}", f"{rate:.1%}")
        del labels
    console.print(table)


def _train(console: Any, seed: int) -> None:
    from rich.table import Table

    from hopia.models import train_task

    table = Table(title="models (LightGBM, temporal split, 95 % CI by person bootstrap)")
    for column in (
        "task",
        "test rows",
        "AUROC [95 % CI]",
        "baseline",
        "baseline AUROC",
        "beats it",
    ):
        table.add_column(column)
    reports = []
    for name in DEMO_TASKS:
        with console.status(f"training {name} …"):
            result = train_task(name, model="lightgbm", seed=seed)
        summary = result.metrics["summary"]
        baseline = summary.get("baseline") or "—"
        base_auc = summary.get("baseline_auroc")
        table.add_row(
            name,
            f"{result.metrics['evaluation']['counts']['n_rows']:,}",
            f"{summary['auroc']:.3f} [{summary['auroc_lower']:.3f}–{summary['auroc_upper']:.3f}]",
            baseline,
            "—" if base_auc is None else f"{base_auc:.3f}",
            "—" if baseline == "—" else ("yes" if summary.get("beats_baseline") else "no"),
        )
        reports.append(result.path / "report.html")
    console.print(table)
    console.print("model cards (open in a browser):")
    for report in reports:
        console.print(f"  {report}")


def _pathways(console: Any, url: str) -> None:
    from rich.table import Table

    from hopia.pathways import directly_follows, warehouse_log
    from hopia.warehouse import open_warehouse

    with open_warehouse(url, read_only=True) as wh:
        edges = (
            directly_follows(warehouse_log(wh, case="stay"))
            .order_by(ibis_desc("count"))
            .limit(8)
            .execute()
        )
    table = Table(title="patient pathways: most frequent unit-to-unit flows")
    for column in ("from", "to", "stays", "median wait"):
        table.add_column(column)
    for row in edges.itertuples():
        table.add_row(
            str(row.source), str(row.target), f"{row.count:,}", f"{row.median_seconds / 3600:.1f} h"
        )
    console.print(table)


def ibis_desc(column: str) -> Any:
    """``ibis.desc`` without importing Ibis at start-up."""
    import ibis

    return ibis.desc(column)


def _surveillance(console: Any, url: str) -> None:
    from rich.table import Table

    from hopia.surveillance import current_alarms
    from hopia.warehouse import open_warehouse

    with open_warehouse(url, read_only=True) as wh:
        alarms = current_alarms(wh)
    table = Table(
        title=f"syndromic surveillance of the ED: alarms in the last 7 days ({len(alarms)})"
    )
    for column in alarms.columns:
        table.add_column(str(column))
    for row in alarms.head(15).itertuples(index=False):
        table.add_row(*[str(v) for v in row])
    console.print(table)


DEMO_USER = ("demo", "hopia-demo-2026")
"""The clinician account ``hopia demo`` creates for the local web service."""


def _serve(console: Any) -> None:
    from hopia.serve import add_user, list_users
    from hopia.serve._cli import _db, serve_cmd

    with _db(None) as db:
        if DEMO_USER[0] not in {user.username for user in list_users(db)}:
            add_user(db, DEMO_USER[0], DEMO_USER[1], "clinician")
    console.print(f"log in as [bold]{DEMO_USER[0]}[/] / [bold]{DEMO_USER[1]}[/] (clinician)")
    serve_cmd()


def register(app: typer.Typer) -> None:
    """Attach ``hopia demo``."""
    app.command("demo")(demo_cmd)
