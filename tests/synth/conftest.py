"""A small synthetic hospital shared by the synth tests (2,000 patients over 3 years)."""

from __future__ import annotations

import pytest

from hopia.synth import SyntheticHospital, generate_hospital


@pytest.fixture(scope="session")
def hospital() -> SyntheticHospital:
    return generate_hospital(patients=2_000, years=3, seed=11)
