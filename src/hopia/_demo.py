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
        str, typer.Option(help="'synth' (the synthetic CHRU) or 'fhir' (the Synthea bundles shipped with hopia).")
    ] = "synth",
    data_dir: Annotated[
        str | None, typer.Option(help="Where the demo writes (default: HOPIA_DATA_DIR or ./hopia-data).")
    ] = None,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the web service at the end.")] = True,
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
    wh.close()
    console.rule("[bold]done")
    if serve:
        _serve(console)


def _build_warehouse(console: Any, url: str, sample: str, patients: int, years: float, seed: int) -> Any:
    from hopia.warehouse import write_warehouse

    if sample == "fhir":
        from hopia.warehouse._fhir import fhir_to_omop, sample_fhir_paths

        with console.status("loading the sample Synthea FHIR bundles shipped with hopia …"):
            wh = write_warehouse(fhir_to_omop(sample_fhir_paths()), url, source="hopia sample: Synthea FHIR R4 bundles")
    elif sample == "synth":
        from hopia.synth import generate_hospital

        with console.status(f"synthesising a CHRU: {patients:,} patients over {years:g} years …"):
            hospital = generate_hospital(patients, years, seed)
            wh = write_warehouse(hospital.tables, url, extra=hospital.extra, source=hospital.source)
    else:
        raise typer.BadParameter(f"expected 'synth' or 'fhir', got {sample!r}", param_hint="--sample")
    console.print(f"[green]✓[/] warehouse built at {url}")
    return wh


def _quality(console: Any, wh: Any) -> None:
    from hopia.warehouse._quality import run_quality_checks

    results = run_quality_checks(wh)
    failed = [r for r in results if not r.passed]
    console.print(f"[green]✓[/] data quality: {len(results) - len(failed)} checks passed, {len(failed)} failed")
    for r in failed:
        console.print(f"  [red]✗[/] {r.name}: {r.violations} of {r.rows} rows — {r.description}")


def _serve(console: Any) -> None:
    from hopia.serve._cli import serve_cmd

    serve_cmd()


def register(app: typer.Typer) -> None:
    """Attach ``hopia demo``."""
    app.command("demo")(demo_cmd)
