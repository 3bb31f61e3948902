"""Warehouse verbs: ``hopia load omop|fhir``, ``hopia export meds|parquet``, ``hopia quality``, ``hopia summary``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

load_app = typer.Typer(
    help="Load source data into a new warehouse (atomic: all or nothing).", no_args_is_help=True
)
export_app = typer.Typer(help="Export the warehouse to standard formats.", no_args_is_help=True)

WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse", "-w", help="Warehouse URL (default: HOPIA_WAREHOUSE or ./hopia-data)."
    ),
]


def _console() -> Any:
    from rich.console import Console

    return Console()


@load_app.command("omop")
def load_omop_cmd(
    source: Annotated[
        Path, typer.Argument(help="OMOP CDM folder or .zip of CSV/Parquet files (CDM 5.3 or 5.4).")
    ],
    warehouse: WarehouseOption = None,
) -> None:
    """Load an OMOP CDM folder (CSV or Parquet) into a new warehouse."""
    from hopia.warehouse._omop import load_omop

    with _console().status(f"loading {source} …"):
        report = load_omop(source, warehouse)
    _print_rows(report.rows, f"loaded {source}")
    if report.skipped_tables:
        typer.echo(f"recognised but not kept: {', '.join(report.skipped_tables)}")
    for table, columns in report.dropped_columns.items():
        typer.echo(f"{table}: columns not in OMOP 5.4 dropped: {', '.join(columns)}")


@load_app.command("fhir")
def load_fhir_cmd(
    paths: Annotated[list[Path], typer.Argument(help="FHIR R4 bundle files or folders of them.")],
    warehouse: WarehouseOption = None,
) -> None:
    """Load FHIR R4 bundles (Synthea style) mapped to OMOP into a new warehouse."""
    from hopia.warehouse._fhir import fhir_to_omop
    from hopia.warehouse._store import write_warehouse

    with _console().status(f"reading {len(paths)} FHIR path(s) …"):
        tables = fhir_to_omop(paths)
        write_warehouse(tables, warehouse, source=f"FHIR R4 bundles ({len(paths)} paths)")
    _print_rows(
        {name: t.num_rows for name, t in tables.items() if t.num_rows}, "loaded FHIR bundles"
    )


@export_app.command("meds")
def export_meds_cmd(
    out: Annotated[Path, typer.Argument(help="Output folder (MEDS 0.4: data/, metadata/).")],
    warehouse: WarehouseOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the train/tuning/held-out split.")] = 42,
) -> None:
    """Export the warehouse as a MEDS 0.4 data set."""
    from hopia.warehouse import open_warehouse
    from hopia.warehouse._export import export_meds

    with open_warehouse(warehouse, read_only=True) as wh:
        export_meds(wh, out, seed=seed)
    typer.echo(f"MEDS data set written to {out}")


@export_app.command("parquet")
def export_parquet_cmd(
    out: Annotated[
        Path, typer.Argument(help="Output folder (one <table>.parquet per OMOP table).")
    ],
    warehouse: WarehouseOption = None,
) -> None:
    """Export every OMOP table as Parquet."""
    from hopia.warehouse import open_warehouse
    from hopia.warehouse._export import export_parquet

    with open_warehouse(warehouse, read_only=True) as wh:
        export_parquet(wh, out)
    typer.echo(f"Parquet tables written to {out}")


def quality_cmd(
    warehouse: WarehouseOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    strict: Annotated[bool, typer.Option(help="Exit with status 1 when a check fails.")] = False,
) -> None:
    """Run the data-quality checks (completeness, conformance, plausibility)."""
    from hopia.warehouse import open_warehouse
    from hopia.warehouse._quality import run_quality_checks

    with open_warehouse(warehouse, read_only=True) as wh:
        results = run_quality_checks(wh)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        from rich.table import Table

        table = Table(title="data quality")
        for column in ("check", "category", "violations", "rows", "share", "threshold", "result"):
            table.add_column(
                column,
                justify="right"
                if column in ("violations", "rows", "share", "threshold")
                else "left",
            )
        for r in results:
            verdict = "[green]pass[/]" if r.passed else "[red]FAIL[/]"
            table.add_row(
                r.name,
                r.category,
                str(r.violations),
                str(r.rows),
                f"{r.share:.2%}",
                f"{r.threshold:.1%}",
                verdict,
            )
        _console().print(table)
        failed = sum(not r.passed for r in results)
        typer.echo(f"{len(results) - failed} passed, {failed} failed")
    if strict and any(not r.passed for r in results):
        raise typer.Exit(1)


def summary_cmd(
    warehouse: WarehouseOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Print the warehouse summary: persons, rows per table, time span, snapshot."""
    from hopia.warehouse import open_warehouse

    with open_warehouse(warehouse, read_only=True) as wh:
        summary = wh.summary()
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    print_summary(summary)


def print_summary(summary: dict[str, Any]) -> None:
    """Print a warehouse summary as a readable table."""
    typer.echo(
        f"warehouse {summary['url']} ({summary['engine']}), snapshot {summary['snapshot_id']}"
    )
    typer.echo(
        f"source: {summary['source']}; persons: {summary['persons']:,}; span: {summary['span']['start']} → {summary['span']['end']}"
    )
    _print_rows({k: v for k, v in summary["tables"].items() if v}, "rows per table")


def _print_rows(rows: dict[str, int], title: str) -> None:
    from rich.table import Table

    table = Table(title=title)
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in rows.items():
        table.add_row(name, f"{count:,}")
    _console().print(table)


def register(app: typer.Typer) -> None:
    """Attach the warehouse verbs to the ``hopia`` command."""
    app.add_typer(load_app, name="load")
    app.add_typer(export_app, name="export")
    app.command("quality")(quality_cmd)
    app.command("summary")(summary_cmd)
