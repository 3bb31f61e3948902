"""NEWS2 and LACE scoring against the published tables."""

from __future__ import annotations

import numpy as np
import pytest

from hopia.models import charlson_index, lace_points, news2_points


def _news2(**vitals):
    normal = dict(
        rr=16, spo2=97, on_oxygen=False, temperature=37.0, systolic=120, pulse=70, confused=False
    )
    normal.update(vitals)
    return int(news2_points(**{k: [v] for k, v in normal.items()})[0])


@pytest.mark.parametrize(
    ("vital", "value", "points"),
    [
        ("rr", 8, 3), ("rr", 9, 1), ("rr", 11, 1), ("rr", 12, 0), ("rr", 20, 0), ("rr", 21, 2),
        ("rr", 24, 2), ("rr", 25, 3),
        ("spo2", 91, 3), ("spo2", 92, 2), ("spo2", 93, 2), ("spo2", 94, 1), ("spo2", 95, 1),
        ("spo2", 96, 0),
        ("on_oxygen", True, 2),
        ("systolic", 90, 3), ("systolic", 91, 2), ("systolic", 100, 2), ("systolic", 101, 1),
        ("systolic", 110, 1), ("systolic", 111, 0), ("systolic", 219, 0), ("systolic", 220, 3),
        ("pulse", 40, 3), ("pulse", 41, 1), ("pulse", 50, 1), ("pulse", 51, 0), ("pulse", 90, 0),
        ("pulse", 91, 1), ("pulse", 110, 1), ("pulse", 111, 2), ("pulse", 130, 2), ("pulse", 131, 3),
        ("confused", True, 3),
        ("temperature", 35.0, 3), ("temperature", 35.1, 1), ("temperature", 36.0, 1),
        ("temperature", 36.1, 0), ("temperature", 38.0, 0), ("temperature", 38.1, 1),
        ("temperature", 39.0, 1), ("temperature", 39.1, 2),
    ],
)  # fmt: skip
def test_news2_bands_follow_the_rcp_chart(vital, value, points):
    assert _news2(**{vital: value}) == points


def test_news2_missing_vitals_score_zero():
    assert _news2(rr=np.nan, spo2=np.nan, pulse=np.nan) == 0


@pytest.mark.parametrize(
    ("los", "points"),
    [(0.5, 0), (1, 1), (2, 2), (3, 3), (4, 4), (6.9, 4), (7, 5), (13, 5), (14, 7)],
)
def test_lace_length_of_stay_points(los, points):
    assert lace_points(los_days=[los], acute=[False], charlson=[0], ed_visits=[0])[0] == points


def test_lace_caps_comorbidity_and_emergency_visits():
    assert lace_points(los_days=[14], acute=[True], charlson=[9], ed_visits=[12])[0] == 19
    assert lace_points(los_days=[0], acute=[False], charlson=[3], ed_visits=[2])[0] == 5


def test_charlson_index_applies_hierarchies():
    assert charlson_index([]) == 0
    assert charlson_index(["ICD10/I21.0", "ICD10/I50.9", "ICD10/J44.1"]) == 3
    assert charlson_index(["ICD10/K70.3", "ICD10/K72.1"]) == 3  # severe liver supersedes mild
    assert charlson_index(["ICD10/C34.1", "ICD10/C78.0"]) == 6  # metastatic supersedes cancer
    assert charlson_index(["ICD10/N18.4", "ICD10/B20"]) == 8
    assert charlson_index(["ICD10/Z00.0", "ICD10/I10"]) == 0  # hypertension is not a Charlson item
