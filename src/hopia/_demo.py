"""``hopia demo``: the whole data flow on what the package ships, in a few minutes.

Each step is an ordinary hopia function; the demo only chains them and prints what they give.
"""

from __future__ import annotations

from typing import Annotated

import typer


def demo_cmd(
    data_dir: Annotated[
        str | None,
        typer.Option(help="Where the demo writes (default: HOPIA_DATA_DIR or ./hopia-data)."),
    ] = None,
) -> None:
    """Run the main job on the embedded sample data: load, check, summarise."""
    import os

    from rich.console import Console

    if data_dir:
        os.environ["HOPIA_DATA_DIR"] = data_dir
        from hopia.settings import get_settings

        get_settings.cache_clear()
    from hopia.settings import get_settings
    from hopia.warehouse import write_warehouse
    from hopia.warehouse._cli import print_summary
    from hopia.warehouse._fhir import fhir_to_omop, sample_fhir_paths
    from hopia.warehouse._quality import run_quality_checks

    console = Console()
    settings = get_settings()
    url = settings.warehouse_url
    console.rule("[bold]hopia demo")
    with console.status("loading the sample Synthea FHIR bundles shipped with hopia …"):
        wh = write_warehouse(
            fhir_to_omop(sample_fhir_paths()), url, source="hopia sample: Synthea FHIR R4 bundles"
        )
    console.print(f"[green]✓[/] warehouse built at {url}")
    results = run_quality_checks(wh)
    failed = [r for r in results if not r.passed]
    console.print(
        f"[green]✓[/] data quality: {len(results) - len(failed)} checks passed, {len(failed)} failed"
    )
    for r in failed:
        console.print(f"  [red]✗[/] {r.name}: {r.violations} of {r.rows} rows — {r.description}")
    print_summary(wh.summary())
    wh.close()


def register(app: typer.Typer) -> None:
    """Attach ``hopia demo``."""
    app.command("demo")(demo_cmd)
