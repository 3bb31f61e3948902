"""hopia's detection equals R surveillance 1.20.3 on the reference series, through the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from hopia.cli import app

SERIES = ("salmonella_agona", "salm_newport", "sentinelles_ili")
METHODS = {
    "farrington_1996": "farrington-1996",
    "farrington_noufaily": "farrington-flexible",
    "ears_c1": "ears-c1",
    "ears_c2": "ears-c2",
    "ears_c3": "ears-c3",
}


def _column(rows: list[dict[str, str]], name: str) -> np.ndarray:
    return np.array([float(r[name]) if r[name] != "" else np.nan for r in rows])


def assert_same_as_r(
    alarm: np.ndarray, bound: np.ndarray, r_alarm: np.ndarray, r_bound: np.ndarray
) -> None:
    """Every alarm equal, every bound within 1e-6 relative, no bound where R gave NA."""
    np.testing.assert_array_equal(np.isnan(alarm), np.isnan(r_alarm))
    np.testing.assert_array_equal(alarm[~np.isnan(r_alarm)], r_alarm[~np.isnan(r_alarm)])
    np.testing.assert_array_equal(np.isnan(bound), np.isnan(r_bound))
    both = ~np.isnan(r_bound)
    np.testing.assert_allclose(bound[both], r_bound[both], rtol=1e-6, atol=0)


@pytest.mark.parametrize("series", SERIES)
@pytest.mark.parametrize("prefix", list(METHODS))
def test_cli_detect_matches_r(reference: Path, tmp_path: Path, series: str, prefix: str) -> None:
    source = reference / "surveillance" / f"{series}.csv"
    with source.open(newline="") as handle:
        expected = list(csv.DictReader(handle))
    # The input carries only the series columns (and the ILI week label, which must be kept).
    keep = [c for c in ("t", "observed", "week") if c in expected[0]]
    given = tmp_path / "input.csv"
    with given.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(keep)
        writer.writerows([[r[c] for c in keep] for r in expected])
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        app, ["surveil", "detect", str(given), "--method", METHODS[prefix], "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(newline="") as handle:
        produced = list(csv.DictReader(handle))
    assert list(produced[0]) == [*keep, "alarm", "upperbound"]
    assert [r["week" if "week" in keep else "t"] for r in produced] == [
        r["week" if "week" in keep else "t"] for r in expected
    ]
    assert_same_as_r(
        _column(produced, "alarm"),
        _column(produced, "upperbound"),
        _column(expected, f"{prefix}_alarm"),
        _column(expected, f"{prefix}_upperbound"),
    )
    # Farrington is monitored from t = 264 (b = 5, w = 3, 52 weeks), EARS from t = 15.
    first = int(produced[int(np.flatnonzero(~np.isnan(_column(produced, "alarm")))[0])]["t"])
    assert first == (264 if prefix.startswith("farrington") else 15)
