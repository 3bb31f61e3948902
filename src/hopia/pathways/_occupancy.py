"""Bed occupancy: hourly census per unit from stays, and a 7-day forecast per unit.

The census is computed in the engine: each stay adds one bed at the first whole hour at or
after its start and frees it at the first whole hour at or after its end, so a patient is
counted at hour ``h`` when ``start <= h < end``. A running sum per unit over an hourly grid
gives the census. The forecast (pandas, on the small census table) averages the same hour
of the week over the last four weeks; it is judged against the seasonal-naive forecast
(the same hour one week earlier) on the last 7 days held out.

Examples
--------
>>> import datetime as dt, ibis
>>> stays = ibis.memtable({"unit": ["ICU", "ICU"],
...                        "start": [dt.datetime(2024, 1, 1, 8, 30), dt.datetime(2024, 1, 1, 9)],
...                        "end": [dt.datetime(2024, 1, 1, 11), dt.datetime(2024, 1, 1, 10)]})
>>> hourly_census(stays).execute()["beds"].tolist()
[2, 1, 0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import ibis.expr.datatypes as dt

from hopia.errors import InputError
from hopia.warehouse._events import unit_stays

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

    from hopia.warehouse import Warehouse

HOURS_PER_WEEK = 168


def stays_from_warehouse(wh: Warehouse) -> ir.Table:
    """Unit stays of the warehouse (``visit_detail`` with its care site): ``unit, start, end``."""
    stays = unit_stays(wh)
    stays = stays.select(unit=stays.unit, start=stays.start, end=stays.end)
    return stays.filter(stays.unit.notnull() & stays.start.notnull())


def stays_from_log(log: ir.Table) -> ir.Table:
    """Unit stays of an event log: events with a unit and an end time."""
    stays = log.filter(log.unit.notnull() & log.end_time.notnull())
    return stays.select(unit=stays.unit, start=stays.time, end=stays.end_time)


def _ceil_hour(value: ir.TimestampValue) -> ir.TimestampValue:
    floor = value.truncate("h")
    return ibis.ifelse(value == floor, floor, floor + ibis.interval(hours=1))


def hourly_census(stays: ir.Table) -> ir.Table:
    """Beds occupied per unit at every whole hour between the first admission and the last exit.

    Parameters
    ----------
    stays
        ``unit, start, end``; a stay without an end is counted until the end of the grid.

    Returns
    -------
    ibis.expr.types.Table
        ``unit, hour, beds`` ordered by unit and hour.
    """
    stays = stays.filter(stays.end.isnull() | (stays.end > stays.start))
    arrive = stays.select("unit", hour=_ceil_hour(stays.start), change=ibis.literal(1, dt.int64))
    leave = stays.filter(stays.end.notnull())
    leave = leave.select("unit", hour=_ceil_hour(leave.end), change=ibis.literal(-1, dt.int64))
    changes = arrive.union(leave, distinct=False)
    changes = changes.group_by(["unit", "hour"]).aggregate(change=changes.change.sum())
    bounds = changes.aggregate(first=changes.hour.min(), last=changes.hour.max())
    grid = bounds.select(
        hour=ibis.range(
            bounds.first, bounds.last + ibis.interval(hours=1), ibis.interval(hours=1)
        ).unnest()
    )
    units = changes.select("unit").distinct()
    cells = units.cross_join(grid)
    filled = cells.left_join(changes, ["unit", "hour"]).select(
        "unit", "hour", change=ibis.coalesce(changes.change, 0)
    )
    window = ibis.window(group_by=filled.unit, order_by=filled.hour, rows=(None, 0))
    census = filled.mutate(beds=filled.change.sum().over(window).cast(dt.int64))
    return census.select("unit", "hour", "beds").order_by(["unit", "hour"])


@dataclass(frozen=True)
class CensusForecast:
    """A census forecast per unit and how it did on held-out days.

    Attributes
    ----------
    forecast
        ``unit, hour, beds`` for the hours after the census (from all the history).
    backtest
        ``unit, hours, mae_forecast, mae_seasonal_naive, skill`` on the last horizon held
        out (``skill = 1 - mae_forecast / mae_seasonal_naive``; positive is better).
    """

    forecast: pd.DataFrame
    backtest: pd.DataFrame


def _seasonal_mean(history: pd.Series, horizon: int, weeks: int) -> list[float]:
    """Mean of the same hour of the week over the last ``weeks`` weeks available."""
    values = history.to_numpy(dtype=float)
    out = []
    for step in range(1, horizon + 1):
        lags = [len(values) + step - 1 - HOURS_PER_WEEK * k for k in range(1, weeks + 1)]
        lags = [lag for lag in lags if 0 <= lag < len(values)]
        out.append(float(values[lags].mean()) if lags else float("nan"))
    return out


def _seasonal_naive(history: pd.Series, horizon: int) -> list[float]:
    return _seasonal_mean(history, horizon, 1)


def forecast_census(
    census: pd.DataFrame, *, horizon_hours: int = 7 * 24, weeks: int = 4
) -> CensusForecast:
    """Forecast the hourly census of each unit ``horizon_hours`` ahead.

    Parameters
    ----------
    census
        ``unit, hour, beds`` (from :func:`hourly_census`, executed).
    horizon_hours
        How far ahead (default 7 days); at most one week, as the method looks one week back.
    weeks
        Weeks of history averaged for each hour of the week.

    Examples
    --------
    >>> import pandas as pd
    >>> hours = pd.date_range("2024-01-01", periods=24 * 7 * 5, freq="h")
    >>> census = pd.DataFrame({"unit": "ICU", "hour": hours, "beds": [h.hour % 5 for h in hours]})
    >>> result = forecast_census(census, horizon_hours=24)
    >>> result.forecast["beds"].tolist()[:6]
    [0.0, 1.0, 2.0, 3.0, 4.0, 0.0]
    >>> float(result.backtest["mae_forecast"].iloc[0])
    0.0
    """
    import pandas as pd

    if not 1 <= horizon_hours <= HOURS_PER_WEEK:
        raise InputError(
            "forecast horizon",
            f"expected 1 to {HOURS_PER_WEEK} hours (7 days), got {horizon_hours}",
        )
    forecasts, scores = [], []
    for unit, frame in census.sort_values(["unit", "hour"]).groupby("unit", sort=True):
        series = frame.set_index("hour")["beds"].asfreq("h", fill_value=0)
        last = series.index[-1]
        future = pd.date_range(last + pd.Timedelta(hours=1), periods=horizon_hours, freq="h")
        forecasts.append(
            pd.DataFrame(
                {"unit": unit, "hour": future, "beds": _seasonal_mean(series, horizon_hours, weeks)}
            )
        )
        train, held_out = series.iloc[:-horizon_hours], series.iloc[-horizon_hours:]
        if len(train) < HOURS_PER_WEEK:
            scores.append(
                {
                    "unit": unit,
                    "hours": 0,
                    "mae_forecast": float("nan"),
                    "mae_seasonal_naive": float("nan"),
                }
            )
            continue
        actual = held_out.to_numpy(dtype=float)
        model = abs(actual - _seasonal_mean(train, horizon_hours, weeks)).mean()
        naive = abs(actual - _seasonal_naive(train, horizon_hours)).mean()
        scores.append(
            {
                "unit": unit,
                "hours": horizon_hours,
                "mae_forecast": model,
                "mae_seasonal_naive": naive,
            }
        )
    backtest = pd.DataFrame(scores, columns=["unit", "hours", "mae_forecast", "mae_seasonal_naive"])
    naive_error = backtest["mae_seasonal_naive"].where(backtest["mae_seasonal_naive"] > 0)
    backtest["skill"] = 1.0 - backtest["mae_forecast"] / naive_error
    forecast = (
        pd.concat(forecasts, ignore_index=True)
        if forecasts
        else pd.DataFrame(columns=["unit", "hour", "beds"])
    )
    return CensusForecast(forecast=forecast, backtest=backtest)
