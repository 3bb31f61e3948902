"""``hopia pathways …``: event logs, pathway maps, variants, durations, conformance, occupancy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hopia.errors import InputError

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

pathways_app = typer.Typer(
    help="Patient pathways: event logs, pathway maps (DFG), variants, durations, conformance, bed occupancy.",
    no_args_is_help=True,
)

_OUT = typer.Option(None, "--out", "-o", help="Write a CSV file instead of printing a table.")
_LIMIT = typer.Option(25, "--limit", help="Rows printed when there is no --out.")
_VARIANT = typer.Option(
    None, "--variant", help="Keep cases of this variant (activities joined by ','); repeatable."
)
_ACTIVITY = typer.Option(
    None, "--activity", help="Keep cases that go through this activity; repeatable."
)
_UNIT = typer.Option(None, "--unit", help="Keep cases that go through this unit; repeatable.")
_SINCE = typer.Option(
    None, "--since", help="Keep cases that start on or after this date (YYYY-MM-DD)."
)
_BEFORE = typer.Option(
    None, "--before", help="Keep cases that start before this date (YYYY-MM-DD)."
)
_WHERE = typer.Option(
    None, "--where", help="Keep cases with an event where COLUMN=VALUE; repeatable."
)


def register(app: typer.Typer) -> None:
    """Attach ``hopia pathways`` to the main command."""
    app.add_typer(pathways_app, name="pathways")


def _date(value: str | None, option: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(option, f"expected a date like 2024-01-31, got {value!r}") from None


def _open(
    log_path: Path,
    variant: list[str] | None = None,
    activity: list[str] | None = None,
    unit: list[str] | None = None,
    since: str | None = None,
    before: str | None = None,
    where: list[str] | None = None,
) -> ir.Table:
    from hopia.pathways import _filters
    from hopia.pathways._log import read_log

    log = read_log(log_path)
    if variant:
        log = _filters.filter_variants(log, variant)
    if activity:
        log = _filters.filter_activity(log, activity)
    if unit:
        log = _filters.filter_unit(log, unit)
    if since or before:
        log = _filters.filter_period(log, _date(since, "--since"), _date(before, "--before"))
    for condition in where or []:
        column, sep, value = condition.partition("=")
        if not sep:
            raise InputError("--where", f"expected COLUMN=VALUE, got {condition!r}")
        log = _filters.filter_attribute(log, column.strip(), [value.strip()])
    return log


def _emit(frame: pd.DataFrame, out: Path | None, title: str, limit: int) -> None:
    """Write ``frame`` as CSV (atomically) or print its first rows as a table."""
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        try:
            frame.to_csv(partial, index=False)
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
        typer.echo(f"wrote {len(frame)} rows to {out}")
        return
    _print_table(frame, title, limit)


def _print_table(frame: pd.DataFrame, title: str, limit: int) -> None:
    from rich.console import Console
    from rich.table import Table

    shown = frame.head(limit)
    table = Table(
        title=title if len(frame) <= limit else f"{title} (first {limit} of {len(frame)})"
    )
    for column in shown.columns:
        numeric = shown[column].dtype.kind in "iuf"
        table.add_column(str(column), justify="right" if numeric else "left", overflow="fold")
    for row in shown.itertuples(index=False):
        table.add_row(*(_cell(value) for value in row))
    Console().print(table)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3g}"
    return "" if value is None else str(value)


@pathways_app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="A CSV or XES event log."),
    out: Path = typer.Option(..., "--out", "-o", help="The Parquet event log to write."),
    case: str | None = typer.Option(
        None, "--case", help="Case id column (XES: case:concept:name)."
    ),
    activity: str | None = typer.Option(
        None, "--activity", help="Activity column (XES: concept:name)."
    ),
    time: str | None = typer.Option(
        None, "--time", help="Event time column (XES: time:timestamp)."
    ),
    end_time: str | None = typer.Option(
        None, "--end-time", help="Optional end-of-step time column."
    ),
    unit: str | None = typer.Option(None, "--unit", help="Optional unit column (e.g. org:group)."),
    sep: str = typer.Option(",", "--sep", help="CSV separator."),
    time_format: str | None = typer.Option(
        None,
        "--time-format",
        help="strptime format, e.g. '%Y/%m/%d %H:%M:%S.%f' (default: detected).",
    ),
    tie_break: str = typer.Option(
        "source",
        "--tie-break",
        help="Order of events with equal times: source (file order) or activity.",
    ),
) -> None:
    """Import an external event log (CSV or XES) as a hopia log (Parquet)."""
    from hopia.pathways._import import import_log
    from hopia.pathways._log import TIE_BREAKS

    if tie_break not in TIE_BREAKS:
        raise InputError("--tie-break", f"expected source or activity, got {tie_break!r}")
    table = import_log(
        file, out, case=case, activity=activity, time=time, end_time=end_time, unit=unit,
        sep=sep, time_format=time_format, tie_break=tie_break,  # type: ignore[arg-type]
    )  # fmt: skip
    cases = len(set(table.column("case_id").to_pylist()))
    typer.echo(f"wrote {table.num_rows} events of {cases} cases to {out}")


@pathways_app.command("log")
def log_command(
    out: Path = typer.Option(..., "--out", "-o", help="The Parquet event log to write."),
    case: str = typer.Option("stay", "--case", help="stay (one case per visit) or person."),
    warehouse: str | None = typer.Option(
        None, "--warehouse", help="Warehouse URL (default: HOPIA_WAREHOUSE)."
    ),
    population: str | None = typer.Option(
        None,
        "--population",
        help="Only these visits: a visit type such as ER, IP, ERIP (comma-separated).",
    ),
) -> None:
    """Build an event log from the warehouse (unit transfers, ED steps, procedures, screening)."""
    from hopia.pathways._log import write_log
    from hopia.pathways._warehouse_log import warehouse_log
    from hopia.warehouse import open_warehouse

    if case not in ("stay", "person"):
        raise InputError("--case", f"expected stay or person, got {case!r}")
    visit_types = [v.strip() for v in population.split(",")] if population else None
    with open_warehouse(warehouse, read_only=True) as wh:
        log = warehouse_log(wh, case=case, visit_types=visit_types)  # type: ignore[arg-type]
        table = log.order_by(["case_id", "position"]).to_pyarrow()
    write_log(table, out)
    cases = len(set(table.column("case_id").to_pylist()))
    typer.echo(f"wrote {table.num_rows} events of {cases} cases to {out}")


@pathways_app.command("summary")
def summary_command(log_path: Path = typer.Argument(..., metavar="LOG")) -> None:
    """Cases, events, activities, variants, start and end activities of a log."""
    from hopia.pathways._discovery import end_activities, log_summary, start_activities

    log = _open(log_path)
    figures = log_summary(log)
    for key, value in figures.items():
        typer.echo(f"{key}: {value}")
    _print_table(start_activities(log).to_pandas(), "start activities", 25)
    _print_table(end_activities(log).to_pandas(), "end activities", 25)


@pathways_app.command("map")
def map_command(
    log_path: Path = typer.Argument(..., metavar="LOG", help="A Parquet event log."),
    out: Path | None = _OUT,
    limit: int = _LIMIT,
    variant: list[str] | None = _VARIANT,
    activity: list[str] | None = _ACTIVITY,
    unit: list[str] | None = _UNIT,
    since: str | None = _SINCE,
    before: str | None = _BEFORE,
    where: list[str] | None = _WHERE,
    dot: Path | None = typer.Option(
        None, "--dot", help="Also write the map as a Graphviz .dot file."
    ),
) -> None:
    """Pathway map: the directly-follows graph with counts and waiting times (seconds)."""
    from hopia.pathways._discovery import directly_follows

    log = _open(log_path, variant, activity, unit, since, before, where)
    frame = directly_follows(log).to_pandas()
    if dot is not None:
        from hopia.pathways._export import dfg_to_dot

        dot.write_text(dfg_to_dot(frame), encoding="utf-8")
    if out is not None:
        frame = frame[["source", "target", "count", "mean_seconds", "median_seconds"]]
    else:
        frame = frame.sort_values(["count", "source", "target"], ascending=[False, True, True])
    _emit(frame, out, "pathway map (directly-follows)", limit)


@pathways_app.command("variants")
def variants_command(
    log_path: Path = typer.Argument(..., metavar="LOG", help="A Parquet event log."),
    out: Path | None = _OUT,
    limit: int = _LIMIT,
    variant: list[str] | None = _VARIANT,
    activity: list[str] | None = _ACTIVITY,
    unit: list[str] | None = _UNIT,
    since: str | None = _SINCE,
    before: str | None = _BEFORE,
    where: list[str] | None = _WHERE,
) -> None:
    """Variants (activities of a case joined by ',') with their number of cases."""
    from hopia.pathways._discovery import variants

    log = _open(log_path, variant, activity, unit, since, before, where)
    frame = variants(log).to_pandas()
    if out is not None:
        frame = frame[["variant", "cases"]]
    _emit(frame, out, "variants", limit)


@pathways_app.command("durations")
def durations_command(
    log_path: Path = typer.Argument(..., metavar="LOG", help="A Parquet event log."),
    by: str = typer.Option(
        "case",
        "--by",
        help="case: throughput time per case; activity or unit: sojourn times; rework.",
    ),
    until: str = typer.Option(
        "auto",
        "--until",
        help="Sojourn ends at the step's end time (end) or the next event (next); auto.",
    ),
    out: Path | None = _OUT,
    limit: int = _LIMIT,
    variant: list[str] | None = _VARIANT,
    activity: list[str] | None = _ACTIVITY,
    unit: list[str] | None = _UNIT,
    since: str | None = _SINCE,
    before: str | None = _BEFORE,
    where: list[str] | None = _WHERE,
) -> None:
    """Throughput time per case, sojourn time per activity or unit, or rework (repeated steps)."""
    from hopia.pathways import _durations

    log = _open(log_path, variant, activity, unit, since, before, where)
    if by == "case":
        cases = _durations.throughput_times(log)
        if out is None:
            summary = _durations.duration_summary(cases, []).to_pandas()
            _print_table(summary, "throughput time per case (seconds)", limit)
        frame = cases.to_pandas()
        if out is None:
            frame = frame.sort_values("seconds", ascending=False)
        _emit(frame, out, "longest cases", limit)
    elif by == "rework":
        _emit(_durations.rework(log).to_pandas(), out, "rework (repeated activities)", limit)
    else:
        sojourn = _durations.sojourn_times(log, by=by, until=until)  # type: ignore[arg-type]
        frame = _durations.duration_summary(sojourn, [by]).order_by(by).to_pandas()
        _emit(frame, out, f"sojourn time per {by} (seconds)", limit)


@pathways_app.command("conformance")
def conformance_command(
    log_path: Path = typer.Argument(..., metavar="LOG", help="A Parquet event log."),
    pathway: str = typer.Option(
        ...,
        "--pathway",
        help="A reference pathway YAML file, or a built-in name (stroke, sepsis, sepsis-cases).",
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the per-case, per-step CSV."),
    rates: Path | None = typer.Option(
        None, "--rates", help="Write the rates per group and step as CSV."
    ),
    by: list[str] | None = typer.Option(
        None, "--by", help="Group rates by: unit, period; repeatable."
    ),
    period: str = typer.Option(
        "month", "--period", help="Period of the rates: day, week, month, quarter, year."
    ),
    limit: int = _LIMIT,
) -> None:
    """Check each case against a reference pathway: missed, out-of-order and late steps."""
    from hopia.pathways._conformance import check_conformance, conformance_rates, load_pathway

    spec = load_pathway(pathway)
    log = _open(log_path)
    checked = check_conformance(log, spec)
    groups = list(by) if by else []
    rate_frame = conformance_rates(checked, by=groups, period=period).to_pandas()  # type: ignore[arg-type]
    if out is not None:
        _emit(checked.to_pandas(), out, "conformance", limit)
    if rates is not None:
        _emit(rate_frame, rates, "conformance rates", limit)
    if out is None and rates is None:
        shown = [
            *groups,
            "step",
            "cases",
            "missed_rate",
            "out_of_order_rate",
            "late_rate",
            "conforming_rate",
        ]
        _print_table(rate_frame[shown], f"conformance to {spec.name}", limit)


@pathways_app.command("occupancy")
def occupancy_command(
    warehouse: str | None = typer.Option(
        None, "--warehouse", help="Warehouse URL (default: HOPIA_WAREHOUSE)."
    ),
    log_path: Path | None = typer.Option(
        None, "--log", help="Use the unit stays of this event log instead."
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the hourly census CSV."),
    forecast: Path | None = typer.Option(
        None, "--forecast", help="Write the 7-day forecast per unit as CSV."
    ),
    horizon_days: int = typer.Option(7, "--days", help="Forecast horizon in days."),
    limit: int = _LIMIT,
) -> None:
    """Hourly bed census per unit, a 7-day forecast and its error against a seasonal-naive one."""
    from hopia.pathways._occupancy import (
        forecast_census,
        hourly_census,
        stays_from_log,
        stays_from_warehouse,
    )

    if log_path is not None:
        census = hourly_census(stays_from_log(_open(log_path))).to_pandas()
    else:
        from hopia.warehouse import open_warehouse

        with open_warehouse(warehouse, read_only=True) as wh:
            census = hourly_census(stays_from_warehouse(wh)).to_pandas()
    if out is not None:
        _emit(census, out, "hourly census", limit)
    result = forecast_census(census, horizon_hours=24 * horizon_days)
    if forecast is not None:
        _emit(result.forecast, forecast, "forecast", limit)
    _print_table(
        result.backtest,
        f"{horizon_days}-day forecast error per unit (beds, last {horizon_days} days held out)",
        limit,
    )


@pathways_app.command("export")
def export_command(
    log_path: Path = typer.Argument(..., metavar="LOG", help="A Parquet event log."),
    out: Path = typer.Option(..., "--out", "-o", help="A .csv or .xes file (pm4py-readable)."),
) -> None:
    """Export a log for pm4py: CSV (case:concept:name, concept:name, time:timestamp) or XES."""
    from hopia.pathways._export import export_csv, export_xes

    log = _open(log_path)
    if out.suffix.lower() == ".xes":
        count = export_xes(log, out)
    elif out.suffix.lower() == ".csv":
        count = export_csv(log, out)
    else:
        raise InputError(str(out), "expected a .csv or .xes file name")
    typer.echo(f"wrote {count} events to {out}")
