"""More R ``surveillance`` 1.20.3 outputs (made by data/make_reference.R): corner cases.

Sparse counts, a long all-zero stretch (an all-zero baseline: 35 weeks converge in R's IRLS,
237 do not, giving NA), a trend R keeps, large overdispersed counts, other thresholds and
power transforms, a monthly series whose seasonal blocks are empty, EARS with another
baseline and alpha, and CUSUM with every transformation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_surveillance_reference import assert_same_as_r

from hopia.surveillance import cusum, ears, farrington_flexible

DATA = Path(__file__).parent / "data"
CONFIGS = {
    "f1996": {"weights_threshold": 1, "no_periods": 1, "past_weeks_not_included": 3,
              "threshold_method": "delta"},
    "noufaily": {"weights_threshold": 2.58, "no_periods": 10, "past_weeks_not_included": 26,
                 "threshold_method": "nbPlugin"},
    "muan": {"weights_threshold": 2.58, "no_periods": 4, "past_weeks_not_included": 8,
             "threshold_method": "muan", "alpha": 0.01},
    "half": {"weights_threshold": 1.5, "no_periods": 1, "power_transform": "1/2", "b": 3, "w": 2,
             "alpha": 0.1},
    "none": {"weights_threshold": 1, "no_periods": 1, "power_transform": "none", "reweight": False,
             "limit54": (3, 2)},
    "notrend": {"weights_threshold": 2.58, "no_periods": 3, "trend": False, "past_weeks_not_included": 10},
}  # fmt: skip


@pytest.fixture(scope="module")
def extra() -> pd.DataFrame:
    return pd.read_csv(DATA / "farrington_extra.csv")


@pytest.mark.parametrize("series", ["sparse", "zeros", "trend", "large"])
@pytest.mark.parametrize("config", list(CONFIGS))
def test_farrington_corners_match_r(extra: pd.DataFrame, series: str, config: str) -> None:
    result = farrington_flexible(extra[series].to_numpy(), **CONFIGS[config])
    assert_same_as_r(
        result.alarm,
        result.upperbound,
        extra[f"{series}_{config}_alarm"].to_numpy(float),
        extra[f"{series}_{config}_upperbound"].to_numpy(float),
    )


def test_all_zero_baseline_follows_r(extra: pd.DataFrame) -> None:
    """The series is zero up to week 300: R has a (tiny-mean) bound with 35 baseline weeks, NA with 237."""
    counts = extra["zeros"].to_numpy()
    week = 321  # weeks 321-52i±3 are all zero, and the last 4 weeks have >= 5 cases
    assert counts[week - 52 * 5 - 4 : week - 52 + 3].sum() == 0
    assert counts[week - 4 : week].sum() >= 5
    f1996 = farrington_flexible(counts, **CONFIGS["f1996"])
    noufaily = farrington_flexible(counts, **CONFIGS["noufaily"])
    assert 0 < f1996.upperbound[week - 1] < 0.01
    assert np.isnan(noufaily.upperbound[week - 1]) and np.isnan(noufaily.alarm[week - 1])


@pytest.mark.parametrize("series", ["sparse", "zeros", "trend", "large"])
@pytest.mark.parametrize("method", ["C1", "C2", "C3"])
def test_ears_other_baseline_matches_r(extra: pd.DataFrame, series: str, method: str) -> None:
    result = ears(extra[series].to_numpy(), method, baseline=10, alpha=0.01, monitor_from=21)
    assert_same_as_r(
        result.alarm,
        result.upperbound,
        extra[f"{series}_{method.lower()}_alarm"].to_numpy(float),
        extra[f"{series}_{method.lower()}_upperbound"].to_numpy(float),
    )


@pytest.mark.parametrize("config", ["f1996", "noufaily"])
def test_monthly_series_matches_r(config: str) -> None:
    monthly = pd.read_csv(DATA / "farrington_monthly.csv")
    params = dict(CONFIGS[config])
    if config == "noufaily":
        params["past_weeks_not_included"] = 4
    result = farrington_flexible(monthly["observed"].to_numpy(), freq=12, **params)
    assert_same_as_r(
        result.alarm,
        result.upperbound,
        monthly[f"{config}_alarm"].to_numpy(float),
        monthly[f"{config}_upperbound"].to_numpy(float),
    )


@pytest.mark.parametrize(
    "trans", ["standard", "rossi", "anscombe", "anscombe2nd", "pearsonNegBin", "none"]
)
@pytest.mark.parametrize("m", ["mean", "glm"])
def test_cusum_matches_r(trans: str, m: str) -> None:
    table = pd.read_csv(DATA / "cusum_agona.csv")
    result = cusum(
        table["observed"].to_numpy(),
        trans=trans,
        alpha=0.2,
        m=None if m == "mean" else "glm",
        monitor_from=53,
    )
    assert_same_as_r(
        result.alarm,
        result.upperbound,
        table[f"{trans}_{m}_alarm"].to_numpy(float),
        table[f"{trans}_{m}_upperbound"].to_numpy(float),
    )
