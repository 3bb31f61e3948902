"""Surveillance verbs: ``hopia surveil detect|series|backtest|syndromes``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

surveil_app = typer.Typer(
    help="Syndromic surveillance: series of emergency visits, outbreak detection, backtests.",
    no_args_is_help=True,
)

WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse", "-w", help="Warehouse URL (default: HOPIA_WAREHOUSE or ./hopia-data)."
    ),
]
FreqOption = Annotated[str, typer.Option("--freq", help="Period of the counts: day or week.")]


def _check_method(method: str) -> str:
    from hopia.surveillance._detect import METHODS

    if method not in METHODS:
        raise typer.BadParameter(f"expected one of {', '.join(METHODS)}", param_hint="--method")
    return method


def _check_freq(freq: str) -> str:
    if freq not in ("day", "week"):
        raise typer.BadParameter("expected day or week", param_hint="--freq")
    return freq


@surveil_app.command("detect")
def detect_cmd(
    input_csv: Annotated[
        Path, typer.Argument(help="CSV with columns t,observed (more columns are kept).")
    ],
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="ears-c1|ears-c2|ears-c3|cusum|cusum-negbin|"
            "farrington-1996|farrington-flexible|serfling",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Output CSV: the input columns, alarm, upperbound.")
    ],
    frequency: Annotated[
        int, typer.Option("--frequency", help="Periods per year (52 weekly, 365 daily).")
    ] = 52,
    alpha: Annotated[
        float | None,
        typer.Option(
            "--alpha", help="Significance level (EARS 0.001, Farrington 0.05 by default)."
        ),
    ] = None,
) -> None:
    """Run a detection method on a count series and write its alarms and upper bounds."""
    from hopia.surveillance._detect import detect
    from hopia.surveillance._io import read_series_csv, write_detection_csv

    _check_method(method)
    if frequency < 1:
        raise typer.BadParameter("must be a positive number of periods", param_hint="--frequency")
    if alpha is not None and not 0 < alpha < 1:
        raise typer.BadParameter("must be between 0 and 1", param_hint="--alpha")
    header, rows, counts = read_series_csv(input_csv)
    result = detect(counts, method, frequency=frequency, alpha=alpha)
    write_detection_csv(out, header, rows, result)
    alarms = int((result.alarm == 1).sum())
    typer.echo(f"{method}: {int(result.monitored.sum())} monitored points, {alarms} alarms → {out}")


@surveil_app.command("syndromes")
def syndromes_cmd() -> None:
    """List the syndromes (name, label, codes) shipped with hopia."""
    from hopia.surveillance._series import load_syndromes

    for name, syndrome in load_syndromes().items():
        typer.echo(f"{name}\t{syndrome.label}\t{' '.join(syndrome.codes)}")


@surveil_app.command("series")
def series_cmd(
    syndrome: Annotated[str, typer.Option("--syndrome", help="Syndrome name, or 'all'.")],
    out: Annotated[Path, typer.Option("--out", help="Output CSV.")],
    freq: FreqOption = "week",
    by_age: Annotated[
        bool, typer.Option("--by-age", help="One series per age band (long format).")
    ] = False,
    age_band: Annotated[
        str | None, typer.Option("--age-band", help="Keep one age band, e.g. 2-14.")
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Split by age_band, commune or unit (repeat for several)."),
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Daily or weekly counts of emergency visits for a syndrome, from the warehouse.

    With one syndrome and no split, the file has columns ``t,date,observed,visits`` and is
    ready for ``hopia surveil detect``; otherwise it is long (``syndrome,age_band,...``).
    """
    from hopia.surveillance._series import STRATA, load_syndromes, syndromic_counts
    from hopia.warehouse import open_warehouse

    _check_freq(freq)
    known = load_syndromes()
    names = None if syndrome == "all" else [syndrome]
    if names and syndrome not in known:
        raise typer.BadParameter(
            f"unknown syndrome; known: {', '.join(known)}, all", param_hint="--syndrome"
        )
    strata = list(by or [])
    unknown = [name for name in strata if name not in STRATA]
    if unknown:
        raise typer.BadParameter(
            f"unknown split {unknown[0]!r}; expected one of {', '.join(STRATA)}", param_hint="--by"
        )
    with open_warehouse(warehouse, read_only=True) as wh:
        table = syndromic_counts(
            wh, names, freq=freq, by_age=by_age or age_band is not None, by=strata
        )
    if age_band is not None:
        if age_band not in set(table["age_band"]):
            raise typer.BadParameter(
                f"no such age band; found: {', '.join(sorted(set(table['age_band'])))}",
                param_hint="--age-band",
            )
        table = table[table["age_band"] == age_band].drop(columns="age_band")
    if names and not any(name in table.columns for name in STRATA):
        table = table.drop(columns="syndrome")
        table.insert(0, "t", range(1, len(table) + 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp")
    table.to_csv(temporary, index=False)
    temporary.replace(out)
    typer.echo(f"{len(table)} rows → {out}")


@surveil_app.command("backtest")
def backtest_cmd(
    method: Annotated[
        str, typer.Option("--method", help="Detection method (see detect).")
    ] = "ears-c3",
    syndrome: Annotated[str, typer.Option("--syndrome", help="Syndrome name, or 'all'.")] = "all",
    freq: FreqOption = "day",
    alpha: Annotated[float | None, typer.Option("--alpha", help="Significance level.")] = None,
    years_back: Annotated[
        int | None,
        typer.Option("--years-back", help="Farrington's b (years of history; default 5)."),
    ] = None,
    truth_table: Annotated[
        str, typer.Option("--truth", help="Truth table (schema.table).")
    ] = "synth_truth.outbreaks",
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the figures to this CSV.")
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Score a method on the planted outbreaks: POD, false-positive rate, days to detection, PPV."""
    from rich.console import Console
    from rich.table import Table

    from hopia.surveillance._backtest import backtest
    from hopia.surveillance._series import syndromic_counts
    from hopia.warehouse import open_warehouse

    _check_method(method)
    _check_freq(freq)
    schema, _, name = truth_table.rpartition(".")
    options = {} if years_back is None else {"b": years_back}
    with open_warehouse(warehouse, read_only=True) as wh:
        if not wh.has_table(name, database=schema or None):
            from hopia.errors import InputError

            raise InputError("--truth", f"the warehouse has no table {truth_table}")
        truth = wh.table(name, database=schema or None).to_pandas()
        counts = syndromic_counts(wh, None if syndrome == "all" else [syndrome], freq=freq)
    report = backtest(counts, truth, method=method, freq=freq, alpha=alpha, **options)
    table = Table(title=f"backtest {method} ({freq})")
    for column in report.columns:
        table.add_column(str(column))
    for row in report.itertuples(index=False):
        table.add_row(*[f"{v:.3g}" if isinstance(v, float) else str(v) for v in row])
    Console().print(table)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        report.to_csv(out, index=False)


def register(app: typer.Typer) -> None:
    """Attach ``hopia surveil …``."""
    app.add_typer(surveil_app, name="surveil")
