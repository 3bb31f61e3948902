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
