"""Clinical baselines a model must beat: NEWS2 (deterioration, mortality) and LACE (readmission).

Both are computed from the warehouse for the same rows as the model's test set, with only
what was known at the index time.

* **NEWS2** (Royal College of Physicians, 2017): respiratory rate, SpO2 (scale 1), air or
  oxygen, systolic pressure, pulse, consciousness and temperature, each scored 0–3 from the
  last value in the 24 h before the index time. A missing vital scores 0 (the usual
  convention when scoring routine data; ``n_vitals`` says how many were present).
* **LACE** (van Walraven 2010): Length of stay, Acuity (admitted through the emergency
  department), Charlson comorbidity index (Quan 2005 ICD-10 codes, original weights) and the
  number of Emergency visits in the 6 months before admission; 0–19.

Examples
--------
>>> import numpy as np
>>> news2_points(rr=[22], spo2=[93], on_oxygen=[False], temperature=[38.5],
...              systolic=[105], pulse=[115], confused=[False]).tolist()
[8]
>>> lace_points(los_days=[5], acute=[True], charlson=[2], ed_visits=[1]).tolist()
[10]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hopia.warehouse.vocab import EMERGENCY_VISIT_CODES, VITALS

if TYPE_CHECKING:
    from hopia.warehouse import Warehouse

BASELINE_OF_TASK = {
    "deterioration_48h": "NEWS2",
    "inhospital_mortality": "NEWS2",
    "readmission_30d": "LACE",
}
"""Which clinical score is the baseline of each built-in task."""

CLINICAL_THRESHOLDS = {"NEWS2": [5.0, 7.0], "LACE": [10.0]}
"""Alert thresholds in use: NEWS2 ≥ 5 urgent, ≥ 7 emergency response; LACE ≥ 10 high risk."""


def _band(values: np.ndarray, edges: Sequence[float], points: Sequence[int]) -> np.ndarray:
    """Points of each value: ``points[k]`` when ``edges[k-1] < value <= edges[k]``; NaN → 0."""
    out = np.asarray(points)[np.searchsorted(np.asarray(edges), values, side="left")]
    return np.where(np.isnan(values), 0, out)


def news2_points(
    *,
    rr: Iterable[float],
    spo2: Iterable[float],
    on_oxygen: Iterable[bool],
    temperature: Iterable[float],
    systolic: Iterable[float],
    pulse: Iterable[float],
    confused: Iterable[bool],
) -> np.ndarray:
    """NEWS2 aggregate score (SpO2 scale 1); missing values (NaN) score 0."""

    def arr(x: Iterable[float]) -> np.ndarray:
        return np.asarray(list(x) if not isinstance(x, np.ndarray) else x, dtype=float)

    total = (
        _band(arr(rr), [8, 11, 20, 24], [3, 1, 0, 2, 3])
        + _band(arr(spo2), [91, 93, 95], [3, 2, 1, 0])
        + 2 * np.asarray(arr(on_oxygen) > 0, dtype=int)
        + _band(arr(systolic), [90, 100, 110, 219], [3, 2, 1, 0, 3])
        + _band(arr(pulse), [40, 50, 90, 110, 130], [3, 1, 0, 1, 2, 3])
        + 3 * np.asarray(arr(confused) > 0, dtype=int)
        + _band(arr(temperature), [35.0, 36.0, 38.0, 39.0], [3, 1, 0, 1, 2])
    )
    return total.astype(int)


def lace_points(
    *,
    los_days: Iterable[float],
    acute: Iterable[bool],
    charlson: Iterable[int],
    ed_visits: Iterable[int],
) -> np.ndarray:
    """LACE index from its four parts."""
    los = np.floor(np.asarray(list(los_days), dtype=float))
    length = _band(los, [0, 1, 2, 3, 6, 13], [0, 1, 2, 3, 4, 5, 7])
    acuity = 3 * np.asarray(list(acute), dtype=bool).astype(int)
    cci = np.asarray(list(charlson), dtype=int)
    comorbidity = np.where(cci >= 4, 5, cci)
    emergency = np.minimum(np.asarray(list(ed_visits), dtype=int), 4)
    return (length + acuity + comorbidity + emergency).astype(int)


# Quan et al. 2005 ICD-10 coding of the Charlson conditions (codes without dots, by prefix),
# with the original Charlson weights.
_CHARLSON: dict[str, tuple[int, tuple[str, ...]]] = {
    "myocardial_infarction": (1, ("I21", "I22", "I252")),
    "heart_failure": (
        1,
        (
            "I099",
            "I110",
            "I130",
            "I132",
            "I255",
            "I420",
            "I425",
            "I426",
            "I427",
            "I428",
            "I429",
            "I43",
            "I50",
            "P290",
        ),
    ),
    "peripheral_vascular": (
        1,
        (
            "I70",
            "I71",
            "I731",
            "I738",
            "I739",
            "I771",
            "I790",
            "I792",
            "K551",
            "K558",
            "K559",
            "Z958",
            "Z959",
        ),
    ),
    "cerebrovascular": (
        1,
        ("G45", "G46", "H340", *(f"I{n}" for n in range(60, 70))),
    ),
    "dementia": (1, ("F00", "F01", "F02", "F03", "F051", "G30", "G311")),
    "chronic_pulmonary": (
        1,
        (
            "I278",
            "I279",
            *(f"J{n}" for n in range(40, 48)),
            *(f"J{n}" for n in range(60, 68)),
            "J684",
            "J701",
            "J703",
        ),
    ),
    "rheumatic": (1, ("M05", "M06", "M315", "M32", "M33", "M34", "M351", "M353", "M360")),
    "peptic_ulcer": (1, ("K25", "K26", "K27", "K28")),
    "mild_liver": (
        1,
        (
            "B18",
            "K700",
            "K701",
            "K702",
            "K703",
            "K709",
            "K713",
            "K714",
            "K715",
            "K717",
            "K73",
            "K74",
            "K760",
            "K762",
            "K763",
            "K764",
            "K768",
            "K769",
            "Z944",
        ),
    ),
    "diabetes": (
        1,
        tuple(f"E1{t}{c}" for t in "01234" for c in "01689"),
    ),
    "diabetes_complicated": (
        2,
        tuple(f"E1{t}{c}" for t in "01234" for c in "23457"),
    ),
    "hemiplegia": (
        2,
        (
            "G041",
            "G114",
            "G801",
            "G802",
            "G81",
            "G82",
            "G830",
            "G831",
            "G832",
            "G833",
            "G834",
            "G839",
        ),
    ),
    "renal": (
        2,
        (
            "I120",
            "I131",
            "N032",
            "N033",
            "N034",
            "N035",
            "N036",
            "N037",
            "N052",
            "N053",
            "N054",
            "N055",
            "N056",
            "N057",
            "N18",
            "N19",
            "N250",
            "Z490",
            "Z491",
            "Z492",
            "Z940",
            "Z992",
        ),
    ),
    "malignancy": (
        2,
        (
            *(f"C{n:02d}" for n in range(0, 27)),
            *(f"C{n}" for n in range(30, 35)),
            *(f"C{n}" for n in range(37, 42)),
            "C43",
            *(f"C{n}" for n in range(45, 59)),
            *(f"C{n}" for n in range(60, 77)),
            *(f"C{n}" for n in range(81, 86)),
            "C88",
            *(f"C{n}" for n in range(90, 98)),
        ),
    ),
    "severe_liver": (
        3,
        ("I850", "I859", "I864", "I982", "K704", "K711", "K721", "K729", "K765", "K766", "K767"),
    ),
    "metastatic": (6, ("C77", "C78", "C79", "C80")),
    "hiv": (6, ("B20", "B21", "B22", "B24")),
}
_SUPERSEDED = {
    "diabetes": "diabetes_complicated",
    "mild_liver": "severe_liver",
    "malignancy": "metastatic",
}


def charlson_conditions(code: str) -> list[str]:
    """The Charlson conditions an ICD-10 code (``ICD10/I50.9`` or ``I509``) belongs to.

    Examples
    --------
    >>> charlson_conditions("ICD10/I21.4")
    ['myocardial_infarction']
    """
    bare = code.split("/", 1)[-1].replace(".", "").upper()
    return [
        name
        for name, (_, prefixes) in _CHARLSON.items()
        if any(bare.startswith(p) for p in prefixes)
    ]


def charlson_index(codes: Iterable[str]) -> int:
    """Charlson comorbidity index of one person's ICD-10 codes (hierarchies applied).

    Examples
    --------
    >>> charlson_index(["ICD10/E11.9", "ICD10/E11.2", "ICD10/C78.0", "ICD10/C34.1"])
    8
    """
    present = {c for code in codes for c in charlson_conditions(code)}
    for milder, severe in _SUPERSEDED.items():
        if severe in present:
            present.discard(milder)
    return sum(_CHARLSON[name][0] for name in present)


def _keys_table(keys: pd.DataFrame) -> Any:
    import ibis

    frame = keys[["person_id", "visit_occurrence_id", "index_time"]].copy()
    frame["row_id"] = np.arange(len(frame), dtype=np.int64)
    frame["index_time"] = pd.to_datetime(frame["index_time"]).astype("datetime64[us]")
    frame["visit_occurrence_id"] = frame["visit_occurrence_id"].astype("Int64")
    return ibis.memtable(frame)


def news2_scores(wh: Warehouse, keys: pd.DataFrame, *, lookback_hours: int = 24) -> pd.DataFrame:
    """NEWS2 of each row of ``keys`` (``person_id, visit_occurrence_id, index_time``).

    Returns ``keys`` (same order) with ``news2``, ``n_vitals`` and the last value of each
    vital sign in the ``lookback_hours`` before (and at) the index time.
    """
    import ibis

    rows = _keys_table(keys)
    wanted = ["respiratory_rate", "spo2", "oxygen_flow", "temperature", "systolic_bp",
              "heart_rate", "avpu", "glasgow"]  # fmt: skip
    code_to_name = {VITALS[name]: name for name in wanted}
    events = wh.events()
    vitals = events.filter(events.code.isin(list(code_to_name)) & events.value.notnull())
    joined = rows.join(vitals, rows.person_id == vitals.person_id).filter(
        lambda t: (
            (t.time <= t.index_time) & (t.time > t.index_time - ibis.interval(hours=lookback_hours))
        )
    )
    ranked = joined.mutate(
        rank=ibis.row_number().over(
            group_by=[joined.row_id, joined.code],
            order_by=[ibis.desc(joined.time), ibis.desc(joined.value)],
        )
    )
    last = ranked.filter(ranked["rank"] == 0).select("row_id", "code", "value").to_pandas()
    last["name"] = last["code"].map(code_to_name)
    wide = last.pivot_table(index="row_id", columns="name", values="value", aggfunc="first")
    wide = wide.reindex(index=np.arange(len(keys)), columns=wanted)
    confused = (wide["avpu"].fillna(0) > 0) | (wide["glasgow"].fillna(15) < 15)
    score = news2_points(
        rr=wide["respiratory_rate"].to_numpy(),
        spo2=wide["spo2"].to_numpy(),
        on_oxygen=(wide["oxygen_flow"].fillna(0) > 0).to_numpy(),
        temperature=wide["temperature"].to_numpy(),
        systolic=wide["systolic_bp"].to_numpy(),
        pulse=wide["heart_rate"].to_numpy(),
        confused=confused.to_numpy(),
    )
    out = keys[["person_id", "visit_occurrence_id", "index_time"]].reset_index(drop=True).copy()
    out["news2"] = score
    core = ["respiratory_rate", "spo2", "temperature", "systolic_bp", "heart_rate"]
    out["n_vitals"] = wide[core].notna().sum(axis=1).to_numpy()
    for name in wanted:
        out[name] = wide[name].to_numpy()
    return out


def lace_scores(wh: Warehouse, keys: pd.DataFrame) -> pd.DataFrame:
    """LACE of each row of ``keys`` (an inpatient stay, index time at or after discharge).

    Returns ``keys`` with ``lace`` and its parts ``los_days, acute, charlson, ed_visits``.
    """
    import ibis

    rows = _keys_table(keys)
    events = wh.events()
    visits = events.filter(events.domain == "visit").select(
        stay_id=events.visit_occurrence_id,
        stay_code=events.code,
        stay_start=events.time,
        stay_end=events.end_time,
    )
    stays = rows.left_join(visits, rows.visit_occurrence_id == visits.stay_id).select(
        "row_id", "person_id", "index_time", "stay_code", "stay_start", "stay_end"
    )
    stays = stays.mutate(stay_start=stays.stay_start.fill_null(stays.index_time))
    stay_frame = stays.to_pandas().drop_duplicates("row_id").set_index("row_id")
    stay_frame = stay_frame.reindex(np.arange(len(keys)))

    emergency = events.filter(
        (events.domain == "visit") & events.code.isin(list(EMERGENCY_VISIT_CODES))
    ).select(er_person=events.person_id, er_time=events.time, er_visit=events.visit_occurrence_id)
    pairs = stays.join(emergency, stays.person_id == emergency.er_person).filter(
        lambda t: (t.er_time < t.stay_start) & (t.er_time >= t.stay_start - ibis.interval(days=182))
    )
    counts = pairs.group_by("row_id").aggregate(
        ed_visits=(pairs.er_time < pairs.stay_start - ibis.interval(hours=24)).sum(),
        ed_before_admission=(pairs.er_time >= pairs.stay_start - ibis.interval(hours=24)).sum(),
    )
    count_frame = counts.to_pandas().set_index("row_id").reindex(np.arange(len(keys)))

    conditions = events.filter((events.domain == "condition") & events.code.startswith("ICD10/"))
    known = rows.join(conditions, rows.person_id == conditions.person_id).filter(
        lambda t: ibis.ifelse(
            t.date_only, t.time.date() < t.index_time.date(), t.time <= t.index_time
        )
    )
    codes = known.select("row_id", "code").distinct().to_pandas()
    cci = codes.groupby("row_id")["code"].agg(charlson_index)
    charlson = cci.reindex(np.arange(len(keys))).fillna(0).astype(int)

    end = pd.to_datetime(stay_frame["stay_end"]).fillna(pd.to_datetime(stay_frame["index_time"]))
    los_days = (end - pd.to_datetime(stay_frame["stay_start"])).dt.total_seconds() / 86400.0
    acute = (stay_frame["stay_code"] == "VISIT/ERIP") | (
        count_frame["ed_before_admission"].fillna(0) > 0
    )
    ed_visits = count_frame["ed_visits"].fillna(0).astype(int)
    out = keys[["person_id", "visit_occurrence_id", "index_time"]].reset_index(drop=True).copy()
    out["los_days"] = los_days.clip(lower=0).fillna(0).to_numpy()
    out["acute"] = acute.to_numpy(dtype=bool)
    out["charlson"] = charlson.to_numpy()
    out["ed_visits"] = ed_visits.to_numpy()
    out["lace"] = lace_points(
        los_days=out["los_days"], acute=out["acute"], charlson=out["charlson"],
        ed_visits=out["ed_visits"],
    )  # fmt: skip
    return out


def baseline_scores(
    wh: Warehouse, task_name: str, keys: pd.DataFrame
) -> tuple[str, np.ndarray] | None:
    """The clinical baseline of a built-in task on ``keys``: ``(name, scores)``, or None."""
    name = BASELINE_OF_TASK.get(task_name)
    if name == "NEWS2":
        return name, news2_scores(wh, keys)["news2"].to_numpy(dtype=float)
    if name == "LACE":
        return name, lace_scores(wh, keys)["lace"].to_numpy(dtype=float)
    return None
