"""Bed occupancy: hourly census from stays and a 7-day forecast judged against seasonal-naive."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import numpy as np
import pandas as pd

from hopia.pathways import forecast_census, hourly_census, stays_from_log, stays_from_warehouse


def test_census_of_the_tiny_hospital(tiny_hospital) -> None:
    census = hourly_census(stays_from_warehouse(tiny_hospital)).to_pandas()
    beds = census.set_index(["unit", "hour"])["beds"]
    # URG: person 1 08:00-12:00 on Jan 1, person 2 09:00-11:00 on Jan 2, person 3 10:00-14:00 on Feb 1
    assert beds[("URG", pd.Timestamp("2024-01-01 08:00"))] == 1
    assert beds[("URG", pd.Timestamp("2024-01-01 12:00"))] == 0  # left at 12:00
    assert beds[("URG", pd.Timestamp("2024-01-02 10:00"))] == 1
    assert beds[("UNV", pd.Timestamp("2024-01-02 11:00"))] == 1
    assert beds[("UNV", pd.Timestamp("2024-01-02 12:00"))] == 0
    assert beds[("REA", pd.Timestamp("2024-01-03 08:00"))] == 1
    # every unit is on the same hourly grid, without gaps
    hours = census.groupby("unit")["hour"].agg(["min", "max", "count"])
    assert (hours["count"] == (hours["max"] - hours["min"]) / pd.Timedelta(hours=1) + 1).all()
    assert census["beds"].min() == 0


def test_census_matches_a_brute_force_count() -> None:
    rng = np.random.default_rng(7)
    start = pd.Timestamp("2024-03-01") + pd.to_timedelta(
        rng.integers(0, 14 * 24 * 60, 300), unit="min"
    )
    length = pd.to_timedelta(rng.integers(10, 5 * 24 * 60, 300), unit="min")
    stays = pd.DataFrame(
        {"unit": rng.choice(["A", "B"], 300), "start": start, "end": start + length}
    )
    census = hourly_census(ibis.memtable(stays)).to_pandas()
    for row in census.sample(200, random_state=1).itertuples():
        in_unit = stays[stays["unit"] == row.unit]
        expected = ((in_unit["start"] <= row.hour) & (in_unit["end"] > row.hour)).sum()
        assert row.beds == expected


def _weekly_census(weeks: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hours = pd.date_range("2024-01-01", periods=weeks * 168, freq="h")
    profile = 20 + 6 * np.sin(2 * np.pi * hours.hour / 24) + 4 * (hours.day_of_week < 5)
    frames = [
        pd.DataFrame({"unit": unit, "hour": hours, "beds": rng.poisson(profile * scale)})
        for unit, scale in (("MED", 1.0), ("ICU", 0.4))
    ]
    return pd.concat(frames, ignore_index=True)


def test_forecast_beats_seasonal_naive_on_noisy_weekly_census() -> None:
    result = forecast_census(_weekly_census(10, seed=3))
    assert sorted(result.forecast["unit"].unique()) == ["ICU", "MED"]
    assert len(result.forecast) == 2 * 168
    assert result.forecast["hour"].min() == pd.Timestamp("2024-01-01") + pd.Timedelta(
        hours=10 * 168
    )
    backtest = result.backtest.set_index("unit")
    assert (backtest["hours"] == 168).all()
    # averaging four weeks halves the noise of a one-week-old copy
    assert (backtest["mae_forecast"] < backtest["mae_seasonal_naive"]).all()
    assert (backtest["skill"] > 0.2).all()


def test_short_history_has_no_backtest() -> None:
    result = forecast_census(_weekly_census(1, seed=1))
    assert result.backtest["mae_forecast"].isna().all()


def test_census_from_a_log_and_cli(tiny_hospital, tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from hopia.pathways import warehouse_log, write_log
    from hopia.pathways._cli import register

    log = warehouse_log(tiny_hospital)
    from_log = hourly_census(stays_from_log(log)).to_pandas()
    from_tables = hourly_census(stays_from_warehouse(tiny_hospital)).to_pandas()
    pd.testing.assert_frame_equal(from_log, from_tables)
    path = write_log(log, tmp_path / "log.parquet")
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(
        app,
        ["pathways", "occupancy", "--log", str(path), "--out", str(tmp_path / "census.csv"),
         "--forecast", str(tmp_path / "forecast.csv")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    census = pd.read_csv(tmp_path / "census.csv")
    assert len(census) == len(from_tables)
    forecast = pd.read_csv(tmp_path / "forecast.csv")
    assert len(forecast) == 4 * 168
    assert dt.datetime.fromisoformat(forecast["hour"].min()) > dt.datetime(2024, 2, 1, 14)


def test_horizon_beyond_a_week_is_refused() -> None:
    import pytest

    from hopia.errors import InputError

    with pytest.raises(InputError, match="7 days"):
        forecast_census(_weekly_census(3, seed=2), horizon_hours=200)
