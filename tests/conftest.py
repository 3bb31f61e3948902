"""Shared fixtures: where the open data sets are, and small warehouses to test on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HOPIA_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HOPIA_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: the open data sets and the peer tools' reference outputs.

    A missing folder fails the test (it is never skipped silently): CI lays it beside the clone.
    """
    if not (SHARED_DATA / "external").is_dir():
        pytest.fail(f"open data sets not found at {SHARED_DATA} (set HOPIA_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def external(shared_data: Path) -> Path:
    """``../shared/data/external``."""
    return shared_data / "external"


@pytest.fixture(scope="session")
def reference(shared_data: Path) -> Path:
    """``../shared/data/reference``."""
    return shared_data / "reference"


@pytest.fixture(scope="session")
def mimic_warehouse(external: Path, tmp_path_factory: pytest.TempPathFactory):
    """The MIMIC-IV demo OMOP folder loaded once into a DuckDB warehouse (read it, don't change it)."""
    from hopia.warehouse._omop import load_omop

    url = f"duckdb:///{tmp_path_factory.mktemp('mimic-omop')}/warehouse.duckdb"
    return load_omop(external / "mimic-iv-demo-omop-0.9", url).warehouse


@pytest.fixture(scope="session")
def mimic_spark(mimic_warehouse):
    """The same MIMIC-IV demo data on a local Spark session (one per test session)."""
    from hopia.warehouse._spark import copy_to_spark

    return copy_to_spark(mimic_warehouse)


@pytest.fixture(scope="session")
def frames_equal():
    """Assert two engine results are equal row for row, value for value (order-free, unit-free)."""
    return _frames_equal


def _frames_equal(left, right, sort_by: list[str]) -> None:
    """Assert two engine results are equal row for row, value for value (order-free, unit-free)."""
    import pandas as pd

    def normal(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = frame[column].astype("datetime64[us]")
            elif pd.api.types.is_integer_dtype(frame[column]) or pd.api.types.is_float_dtype(
                frame[column]
            ):
                frame[column] = (
                    frame[column].astype("float64") if frame[column].isna().any() else frame[column]
                )
        return frame.sort_values(sort_by, kind="stable").reset_index(drop=True)

    pd.testing.assert_frame_equal(normal(left), normal(right), check_dtype=False, check_exact=True)
