"""The pathways aggregates of the service, computed by :mod:`hopia.pathways` on the loaded
warehouse, masked (counts below ``min_cell``, and the waits and durations of masked groups)
and cached per warehouse version. Used by the API (``serve/api/pathways.py``) and the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from hopia.serve._pathways_schemas import (
    CaseKind,
    CensusPoint,
    Durations,
    Edge,
    Endpoint,
    Occupancy,
    PathwayMap,
    UnitDuration,
    UnitOccupancy,
    Variant,
    Variants,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    import pyarrow as pa

    from hopia.serve._state import ServeState
    from hopia.warehouse import Warehouse


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _number(value: Any) -> float | None:
    return None if _missing(value) else float(value)


def _count(value: Any) -> int | None:
    return None if _missing(value) else int(value)


def _masked(frame: pd.DataFrame, counts: list[str], threshold: int) -> pd.DataFrame:
    from hopia.privacy import suppress_small_counts

    if frame.empty:
        return frame
    return suppress_small_counts(frame, counts, threshold=threshold)


def _cached(state: ServeState, wh: Warehouse, key: tuple[Any, ...], build: Any) -> Any:
    cache = state.warehouses.cache_of(wh)
    full = ("pathways", *key, state.config.min_cell)
    if full not in cache:
        cache[full] = build()
    return cache[full]


@contextmanager
def event_log(state: ServeState, wh: Warehouse, case: CaseKind) -> Iterator[ir.Table]:
    """The warehouse's event log, built once per warehouse version and kept in memory (Arrow,
    the log's fixed columns only); each aggregate runs on it in a private in-memory DuckDB, as
    a connection must not be shared by two threads."""
    import ibis

    from hopia.pathways import LOG_COLUMNS, warehouse_log
    from hopia.settings import get_settings

    def build() -> pa.Table:
        return warehouse_log(wh, case=case).select(*LOG_COLUMNS).to_pyarrow()

    table = _cached(state, wh, ("log", case), build)
    con = ibis.duckdb.connect(threads=get_settings().threads)
    try:
        yield con.create_table("event_log", table, temp=True)
    finally:
        con.disconnect()


def pathway_map(state: ServeState, wh: Warehouse, case: CaseKind) -> PathwayMap:
    """The warehouse's pathway map, masked, cached per warehouse version."""
    from hopia.pathways import directly_follows, end_activities, start_activities

    def build() -> PathwayMap:
        threshold = state.config.min_cell
        with event_log(state, wh, case) as log:
            dfg = directly_follows(log).to_pandas()
            starts, ends = start_activities(log).to_pandas(), end_activities(log).to_pandas()
        dfg = _masked(dfg, ["count", "cases"], threshold)
        edges = []
        for row in dfg.to_dict("records"):
            shown = not _missing(row["count"])
            edges.append(
                Edge(
                    source=row["source"],
                    target=row["target"],
                    count=_count(row["count"]),
                    cases=_count(row["cases"]),
                    mean_seconds=_number(row["mean_seconds"]) if shown else None,
                    median_seconds=_number(row["median_seconds"]) if shown else None,
                )
            )
        first, last = (
            [
                Endpoint(activity=a, cases=_count(c))
                for a, c in _masked(frame, ["cases"], threshold).values.tolist()
            ]
            for frame in (starts, ends)
        )
        return PathwayMap(case=case, masked_below=threshold, edges=edges, start=first, end=last)

    return _cached(state, wh, ("map", case), build)


def pathway_variants(state: ServeState, wh: Warehouse, case: CaseKind, limit: int) -> Variants:
    """The ``limit`` most frequent variants, masked, cached per warehouse version."""
    from hopia.pathways import variants
    from hopia.pathways._discovery import VARIANT_SEPARATOR

    def build() -> Variants:
        threshold = state.config.min_cell
        with event_log(state, wh, case) as log:
            found = variants(log).to_pandas()
        frame = _masked(found[["variant", "cases", "share"]], ["cases"], threshold)
        shown = [
            Variant(
                steps=row["variant"].split(VARIANT_SEPARATOR),
                cases=_count(row["cases"]),
                share=None if _missing(row["cases"]) else float(row["share"]),
            )
            for row in frame.head(limit).to_dict("records")
        ]
        return Variants(
            case=case, masked_below=threshold, variants_total=len(found), variants=shown
        )

    return _cached(state, wh, ("variants", case, limit), build)


def unit_durations(state: ServeState, wh: Warehouse) -> Durations:
    """Length of stay per unit (from the stay log's unit steps), masked, cached."""
    from hopia.pathways import duration_summary, sojourn_times

    def build() -> Durations:
        threshold = state.config.min_cell
        with event_log(state, wh, "stay") as log:
            stays = sojourn_times(log, by="unit", until="end")
            summary = duration_summary(stays, ["unit"]).order_by("unit").to_pandas()
        frame = _masked(summary, ["count"], threshold)
        units = []
        for row in frame.to_dict("records"):
            shown = not _missing(row["count"])

            def hours(name: str, row: dict[str, Any] = row, shown: bool = shown) -> float | None:
                value = _number(row[name]) if shown else None
                return None if value is None else round(value / 3600.0, 2)

            units.append(
                UnitDuration(
                    unit=row["unit"],
                    stays=_count(row["count"]),
                    mean_hours=hours("mean_seconds"),
                    median_hours=hours("median_seconds"),
                    p90_hours=hours("p90_seconds"),
                )
            )
        return Durations(masked_below=threshold, units=units)

    return _cached(state, wh, ("durations",), build)


def unit_occupancy(state: ServeState, wh: Warehouse, days: int) -> Occupancy:
    """Hourly census of the last ``days`` days per unit and the next 7 days' forecast."""
    from hopia.pathways import forecast_census, hourly_census, stays_from_warehouse

    horizon = 7 * 24

    def build() -> Occupancy:
        threshold = state.config.min_cell
        census = hourly_census(stays_from_warehouse(wh)).to_pandas()
        if census.empty:
            return Occupancy(masked_below=threshold, days=days, horizon_hours=horizon, units=[])
        predicted = forecast_census(census, horizon_hours=horizon)
        errors = predicted.backtest.set_index("unit")
        units = []
        for unit, frame in census.groupby("unit", sort=True):
            recent = frame[frame["hour"] > frame["hour"].max() - dt.timedelta(days=days)]
            ahead = predicted.forecast[predicted.forecast["unit"] == unit]
            # a census is a count of patients: hours under the threshold are masked, and so
            # are forecasts under it (they average masked hours)
            units.append(
                UnitOccupancy(
                    unit=str(unit),
                    census=_points(recent, threshold),
                    forecast=_points(ahead.assign(beds=ahead["beds"].round(1)), threshold),
                    mae_forecast=_number(errors.loc[unit, "mae_forecast"]),
                    mae_seasonal_naive=_number(errors.loc[unit, "mae_seasonal_naive"]),
                )
            )
        return Occupancy(masked_below=threshold, days=days, horizon_hours=horizon, units=units)

    return _cached(state, wh, ("occupancy", days), build)


def _points(frame: pd.DataFrame, threshold: int) -> list[CensusPoint]:
    points = []
    for hour, beds in zip(frame["hour"], frame["beds"], strict=True):
        value = _number(beds)
        hidden = value is None or 0 < value < threshold
        points.append(CensusPoint(hour=hour.to_pydatetime(), beds=None if hidden else value))
    return points
