"""Fixtures of the task tests: the tiny hand-made hospital of ``tiny_hospital.py``."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_hospital import tiny_hospital_tables

from hopia.warehouse import write_warehouse


@pytest.fixture(scope="module")
def tiny_hospital(tmp_path_factory: pytest.TempPathFactory):
    """The hand-made hospital of ``tiny_hospital.py``, as a DuckDB warehouse."""
    folder: Path = tmp_path_factory.mktemp("tiny-hospital")
    wh = write_warehouse(tiny_hospital_tables(), f"duckdb:///{folder}/w.duckdb")
    yield wh
    wh.close()
