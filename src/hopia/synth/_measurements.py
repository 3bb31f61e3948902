"""Vital signs (time series during stays) and laboratory results, with LOINC codes and UCUM units.

Values come from the person (age, sex, chronic conditions), the stay's acute severity (fading
over the first days of recovery) and, before an ICU transfer or a death, a *deterioration
drift* that rises over 24 hours: heart and breathing rates up, saturation and blood pressure
down, lactate up, new confusion.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from hopia.synth._arrow import (
    DAY,
    HOUR,
    concept_ids,
    constant,
    dates,
    floats,
    ints,
    omop_table,
    source_values,
    timestamps,
)
from hopia.synth._catalogue import (
    LAB_UNITS,
    REASON_INDEX,
    REASONS,
    SOURCE_VALUES,
    UNIT_INDEX,
    UNIT_INTENSIVE,
    VITAL_UNITS,
    code_index,
)
from hopia.synth._frames import group_rank, sigmoid
from hopia.synth._people import People
from hopia.synth._stays import OP, Stays
from hopia.synth._visits import EHR, VisitIds
from hopia.warehouse.vocab import LABS, VITALS

_VITAL_KEYS = ["heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp", "diastolic_bp", "avpu", "oxygen_flow", "glasgow"]  # fmt: skip
_LAB_KEYS = list(LABS)
_CODE = {key: code_index("LOINC", VITALS[key].split("/")[1]) for key in _VITAL_KEYS} | {
    key: code_index("LOINC", LABS[key].split("/")[1]) for key in _LAB_KEYS
}
_UNIT_CODE = {key: code_index("UCUM", unit) for key, unit in (VITAL_UNITS | LAB_UNITS).items()}
_INFECT = np.array([r.infect for r in REASONS] + [False])  # index -1 → no reason
_RESPIRATORY = np.isin([r.key for r in REASONS] + [""], ["pneumopathie", "bpco", "covid", "bronchiolite", "asthme", "grippe", "insuffisance_cardiaque"])  # fmt: skip
_LAB_EXTRA = {
    "troponin": [
        "infarctus",
        "douleur_thoracique",
        "malaise",
        "insuffisance_cardiaque",
        "fibrillation",
    ],
    "bnp": ["insuffisance_cardiaque", "bpco", "fibrillation", "pneumopathie", "covid"],
    "lactate": ["sepsis", "hemorragie_digestive", "occlusion", "pneumopathie", "covid"],
}
_CORE = ["creatinine", "haemoglobin", "wbc", "platelets", "crp", "sodium", "potassium", "glucose"]
_DAILY = ["creatinine", "haemoglobin", "wbc", "crp", "sodium", "potassium"]


def measurements(
    people: People,
    stays: Stays,
    ids: VisitIds,
    extra: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> pa.Table:
    """Vital signs and labs; built chunk by chunk so 100,000 patients fit in memory."""
    chunks = _Chunks(people)
    _vital_values(chunks, people, _vital_times(stays, ids, rng), rng)
    _labs(chunks, people, stays, ids, rng)
    if len(extra.get("visit", [])):
        chunks.add(**extra)
    return pa.concat_tables(chunks.tables) if chunks.tables else omop_table("measurement", {}, 0)


class _Chunks:
    """Arrow tables of measurement rows with running ids (one chunk per vital sign or panel)."""

    def __init__(self, people: People) -> None:
        self.people = people
        self.tables: list[pa.Table] = []
        self.next_id = 1

    def add(self, *, visit, person, code, time, value, unit, detail) -> None:
        n = len(visit)
        scalar_code, scalar_unit = np.ndim(code) == 0, np.ndim(unit) == 0
        code = np.broadcast_to(np.asarray(code), (n,))
        unit = np.broadcast_to(np.asarray(unit), (n,))
        columns = {
            "measurement_id": ints(np.arange(self.next_id, self.next_id + n)),
            "person_id": ints(self.people.person_id[person]),
            "measurement_concept_id": concept_ids(code),
            "measurement_date": dates(time),
            "measurement_datetime": timestamps(time),
            "measurement_type_concept_id": constant(EHR, n, pa.int64()),
            "value_as_number": floats(value),
            "unit_concept_id": concept_ids(unit),
            "visit_occurrence_id": ints(visit),
            "visit_detail_id": ints(detail, valid=np.asarray(detail) > 0),
            "measurement_source_value": source_values(code),
            "unit_source_value": source_values(unit),
        }
        if n and scalar_code:  # one vital sign per chunk: repeat the code instead of a lookup
            columns["measurement_source_value"] = pa.repeat(
                pa.scalar(SOURCE_VALUES[int(code[0])]), n
            )
        if n and scalar_unit:
            columns["unit_source_value"] = pa.repeat(pa.scalar(SOURCE_VALUES[int(unit[0])]), n)
        self.tables.append(omop_table("measurement", columns, n))
        self.next_id += n


def _vital_times(stays: Stays, ids: VisitIds, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Time points: at triage (and before leaving when sick) in the ED, every 8 h on wards
    (4 h for sicker patients), every 2 h in USIC/UNV, hourly in intensive care (REA)."""
    ed, ip = stays.ed, stays.ip
    valid = ip["seg_valid"]
    stay = np.repeat(np.arange(len(ids.ip)), 3)[valid.ravel()]
    unit = ip["seg_unit"][valid]
    s, e = ip["seg_start"][valid], ip["seg_end"][valid]
    sick = ip["severity"][stay] > 0.8
    step = np.where(
        unit == UNIT_INDEX["REA"],
        HOUR,
        np.where(UNIT_INTENSIVE[unit], 2 * HOUR, np.where(sick, 4 * HOUR, 8 * HOUR)),
    )
    offset = rng.integers(10 * 60, HOUR, len(stay))
    count = np.maximum((e - s - offset) // step + 1, 0)
    seg = np.repeat(np.arange(len(stay)), count)
    k = group_rank(seg)
    jitter = (rng.normal(0, 0.08, len(seg)) * step[seg]).astype(np.int64)
    t = np.clip(s[seg] + offset[seg] + k * step[seg] + jitter, s[seg], e[seg] - 60)
    ip_stay = stay[seg]
    n_ed = len(ids.ed)
    again = np.flatnonzero((ed["triage_level"] <= 3) | ed["admitted"])
    ed_rows = np.concatenate([np.arange(n_ed), again])
    ed_t = np.concatenate(
        [ed["triage_time"], np.minimum(ed["decision"], ed["departure"] - 60)[again]]
    )
    n_ed = len(ed_rows)
    return {
        "time": np.concatenate([t, ed_t]),
        "visit": np.concatenate([ids.ip[ip_stay], ids.ed[ed_rows]]),
        "detail": np.concatenate([ids.ip_detail[valid][seg], ids.ed_urg_detail[ed_rows]]),
        "person": np.concatenate([ip["person"][ip_stay], ed["person"][ed_rows]]),
        "intensive": np.concatenate([UNIT_INTENSIVE[unit][seg], np.zeros(n_ed, bool)]),
        "severity": np.concatenate([ip["severity"][ip_stay], ed["severity"][ed_rows]]),
        "since": np.concatenate([t - ip["admit"][ip_stay], np.zeros(n_ed, np.int64)]),
        "reason": np.concatenate([ip["reason"][ip_stay], ed["reason"][ed_rows]]),
        "drift": np.concatenate(
            [_drift(t, ip["deterioration"][ip_stay], ip["died"][ip_stay]), np.zeros(n_ed)]
        ),
    }


def _drift(t: np.ndarray, event: np.ndarray, died: np.ndarray) -> np.ndarray:
    """0 → 1 over the 24 h before an ICU transfer or death; fades after ICU for survivors."""
    before = np.clip(1 - (event - t) / (24 * HOUR), 0, 1)
    after = np.where(died, 1.0, np.exp(-(t - event) / (48 * HOUR)))
    return np.where(event < 0, 0.0, np.where(t <= event, before, after))


def _baseline(
    age: np.ndarray, adult: float, infant: float, toddler: float, child: float
) -> np.ndarray:
    return np.select([age < 1, age < 6, age < 13], [infant, toddler, child], adult)


def _vital_values(
    rows: _Chunks, people: People, v: dict[str, np.ndarray], rng: np.random.Generator
) -> None:
    n = len(v["time"])
    person = v["person"]
    age = people.age_at(v["time"], person)
    acute = v["severity"] * np.exp(-v["since"] / (36 * HOUR))
    drift = v["drift"]
    infect = _INFECT[v["reason"]]
    resp = _RESPIRATORY[v["reason"]]
    copd = people.comorbidity["copd"][person]
    hr = (
        _baseline(age, 78, 130, 110, 95)
        + 6 * acute
        + 5 * infect * acute
        + 28 * drift
        + rng.normal(0, 7, n)
    )
    rr = (
        _baseline(age, 16, 35, 28, 22)
        + 1.8 * acute
        + 2 * resp * np.maximum(acute, 0)
        + 10 * drift
        + rng.normal(0, 2, n)
    )
    spo2 = (
        97.6
        - 0.6 * acute
        - 1.2 * resp * np.maximum(acute, 0)
        - 8 * drift
        - 3 * copd
        + rng.normal(0, 1.2, n)
    )
    temp = 36.9 + infect * (0.45 * acute + 0.5) + 0.8 * drift * infect + rng.normal(0, 0.35, n)
    sbp = 122 + 0.35 * np.clip(age - 40, -25, 50) - 5 * acute - 32 * drift + rng.normal(0, 12, n)
    sbp = np.clip(sbp, 60, 220)
    dbp = np.clip(0.58 * sbp + 5 + rng.normal(0, 7, n), 30, 130)
    confused = sigmoid(
        -4.5
        + 0.8 * acute
        + 4.5 * drift
        + 1.5 * people.comorbidity["dementia"][person]
        + 0.04 * np.maximum(age - 75, 0)
    )
    avpu = (rng.random(n) < confused).astype(float)
    spo2 = np.clip(spo2, 65, 100)
    oxygen = np.where(
        spo2 < 92, np.clip(np.round(2 + (92 - spo2) * 0.8 + 4 * v["intensive"] * drift), 1, 15), 0.0
    )
    values = {
        "heart_rate": np.clip(np.round(hr), 30, 220), "respiratory_rate": np.clip(np.round(rr), 6, 60),
        "spo2": np.round(spo2), "temperature": np.clip(np.round(temp, 1), 34.5, 41.5),
        "systolic_bp": np.round(sbp), "diastolic_bp": np.round(dbp), "avpu": avpu, "oxygen_flow": oxygen,
    }  # fmt: skip
    for key, value in values.items():
        rows.add(visit=v["visit"], person=person, code=_CODE[key], time=v["time"], value=value,
                 unit=_UNIT_CODE[key], detail=v["detail"])  # fmt: skip
    icu = np.flatnonzero(v["intensive"])
    gcs = np.clip(
        np.round(
            15 - 6 * drift[icu] - 1.2 * np.maximum(acute[icu], 0) + rng.normal(0, 0.7, len(icu))
        ),
        3,
        15,
    )
    rows.add(visit=v["visit"][icu], person=person[icu], code=np.full(len(icu), _CODE["glasgow"]), time=v["time"][icu],
             value=gcs, unit=np.full(len(icu), _UNIT_CODE["glasgow"]), detail=v["detail"][icu])  # fmt: skip


def _labs(
    rows: _Chunks, people: People, stays: Stays, ids: VisitIds, rng: np.random.Generator
) -> None:
    ed, ip, amb = stays.ed, stays.ip, stays.ambulatory
    draws: list[dict[str, np.ndarray]] = []

    def panel(
        which: np.ndarray,
        keys: list[str],
        visit,
        detail,
        person,
        time,
        severity,
        since,
        reason,
        drift,
    ) -> None:
        for key in keys:
            draws.append({
                "lab": np.full(int(which.sum()), _LAB_KEYS.index(key)), "visit": visit[which], "detail": detail[which],
                "person": person[which], "time": time[which], "severity": severity[which], "since": since[which],
                "reason": reason[which], "drift": drift[which],
            })  # fmt: skip

    n_ed = len(ids.ed)
    ed_age = people.age_at(ed["time"], ed["person"])
    tested = (ed["triage_level"] <= 3) | (ed_age >= 65)
    tested &= rng.random(n_ed) < 0.85
    ed_time = np.minimum(
        ed["triage_time"] + rng.integers(15 * 60, 45 * 60, n_ed), ed["departure"] - 60
    )
    ed_args = (
        ids.ed,
        ids.ed_urg_detail,
        ed["person"],
        ed_time,
        ed["severity"],
        np.zeros(n_ed, np.int64),
        ed["reason"],
        np.zeros(n_ed),
    )
    panel(tested, _CORE, *ed_args)
    for key, keys in _LAB_EXTRA.items():
        panel(tested & np.isin(ed["reason"], [REASON_INDEX[k] for k in keys]), [key], *ed_args)

    n_ip = len(ids.ip)
    first = ip["admit"] + rng.integers(HOUR, 4 * HOUR, n_ip)
    first = np.minimum(first, ip["discharge"] - 60)
    ip_args = lambda t: (ids.ip, _detail_at(ids, ip, t), ip["person"], t, ip["severity"], t - ip["admit"], ip["reason"],  # noqa: E731
                         _drift(t, ip["deterioration"], ip["died"]))  # fmt: skip
    everyone = np.ones(n_ip, bool)
    panel(everyone, _CORE, *ip_args(first))
    for key, keys in _LAB_EXTRA.items():
        panel(
            np.isin(ip["reason"], [REASON_INDEX[k] for k in keys])
            | (key == "lactate") & (ip["severity"] > 1),
            [key],
            *ip_args(first),
        )
    panel(
        people.comorbidity["diabetes"][ip["person"]] & (rng.random(n_ip) < 0.7),
        ["hba1c"],
        *ip_args(first),
    )
    # morning labs on the following days
    days = np.minimum((ip["discharge"] - ip["admit"]) // DAY, 14)
    stay = np.repeat(np.arange(n_ip), days)
    k = group_rank(stay) + 1
    morning = (ip["admit"][stay] // DAY + k) * DAY + 7 * HOUR + rng.integers(0, HOUR, len(stay))
    keep = (morning < ip["discharge"][stay]) & (
        rng.random(len(stay)) < np.where(ip["icu"][stay], 0.95, 0.5)
    )
    stay, morning = stay[keep], morning[keep]
    daily_args = (ids.ip[stay], _detail_at(ids, take_ip(ip, stay), morning, rows_of=stay), ip["person"][stay], morning,
                  ip["severity"][stay], morning - ip["admit"][stay], ip["reason"][stay],
                  _drift(morning, ip["deterioration"][stay], ip["died"][stay]))  # fmt: skip
    panel(np.ones(len(stay), bool), _DAILY, *daily_args)
    panel(
        np.isin(ip["reason"][stay], [REASON_INDEX["sepsis"]]) | ip["icu"][stay],
        ["lactate"],
        *daily_args,
    )
    # clinics: follow-up of chronic conditions
    op = np.flatnonzero((amb["kind"] == OP) & (rng.random(len(amb["kind"])) < 0.5))
    n_op = len(op)
    op_args = (ids.ambulatory[op], np.zeros(n_op, np.int64), amb["person"][op], amb["start"][op] + 10 * 60,
               np.full(n_op, -1.0), np.zeros(n_op, np.int64), np.full(n_op, -1), np.zeros(n_op))  # fmt: skip
    panel(np.ones(n_op, bool), ["creatinine", "haemoglobin", "potassium"], *op_args)
    panel(people.comorbidity["diabetes"][amb["person"][op]], ["hba1c", "glucose"], *op_args)
    panel(people.comorbidity["heart_failure"][amb["person"][op]], ["bnp"], *op_args)

    d = {name: np.concatenate([x[name] for x in draws]) for name in draws[0]}
    d["value"] = _lab_values(people, d, rng)
    code = np.array([_CODE[k] for k in _LAB_KEYS])[d["lab"]]
    unit = np.array([_UNIT_CODE[k] for k in _LAB_KEYS])[d["lab"]]
    order = np.argsort(d["time"], kind="stable")  # labs in time order
    rows.add(visit=d["visit"][order], person=d["person"][order], code=code[order], time=d["time"][order],
             value=d["value"][order], unit=unit[order], detail=d["detail"][order])  # fmt: skip


def take_ip(ip: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {k: ip[k][rows] for k in ("seg_start", "seg_end", "seg_valid")}


def _detail_at(
    ids: VisitIds, ip: dict[str, np.ndarray], t: np.ndarray, rows_of: np.ndarray | None = None
) -> np.ndarray:
    """The visit_detail (unit segment) a stay is in at time ``t``."""
    inside = ip["seg_valid"] & (ip["seg_start"] <= t[:, None]) & (t[:, None] < ip["seg_end"])
    segment = np.where(inside.any(axis=1), inside.argmax(axis=1), 0)
    details = ids.ip_detail if rows_of is None else ids.ip_detail[rows_of]
    return np.maximum(details[np.arange(len(t)), segment], 0)


def _lab_values(people: People, d: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Each lab's value from the person, the stay's acute severity and the deterioration drift."""
    out = np.empty(len(d["lab"]))
    z_all = rng.standard_normal(len(d["lab"]))
    for i, key in enumerate(_LAB_KEYS):
        rows = np.flatnonzero(d["lab"] == i)
        if len(rows):
            lo, hi, digits = _LIMITS[key]
            value = _lab_formula(
                key, people, {name: column[rows] for name, column in d.items()}, z_all[rows]
            )
            out[rows] = np.round(np.clip(value, lo, hi), digits)
    return out


_LIMITS = {
    "creatinine": (15, 1500, 0), "haemoglobin": (4, 20, 1), "wbc": (0.5, 60, 1), "platelets": (10, 900, 0),
    "crp": (0.5, 500, 1), "lactate": (0.4, 20, 1), "sodium": (115, 165, 0), "potassium": (2.5, 7.5, 1),
    "glucose": (2, 40, 1), "hba1c": (4, 15, 1), "troponin": (1, 50000, 0), "bnp": (5, 35000, 0),
}  # fmt: skip


def _lab_formula(key: str, people: People, d: dict[str, np.ndarray], z: np.ndarray) -> np.ndarray:
    person = d["person"]
    c = people.comorbidity
    acute = np.where(d["severity"] < -0.99, 0.0, d["severity"] * np.exp(-d["since"] / (48 * HOUR)))
    hot, drift, reason = np.maximum(acute, 0), d["drift"], d["reason"]
    infect = _INFECT[reason]
    is_ = lambda name: reason == REASON_INDEX[name]  # noqa: E731
    if key == "creatinine":
        base = np.where(people.female[person], 65, 80) * np.where(
            people.age_at(d["time"], person) < 16, 0.5, 1
        )
        return (
            base
            * np.where(c["ckd"][person], 2.1, 1)
            * np.exp(0.12 * hot + 0.5 * drift + 0.9 * is_("insuffisance_renale") + 0.12 * z)
        )
    if key == "haemoglobin":
        base = np.where(
            people.age_at(d["time"], person) < 16, 12.5, np.where(people.female[person], 13.2, 14.5)
        )
        return (
            base
            - 2.3 * c["anaemia"][person]
            - 0.35 * hot
            - 3.5 * is_("hemorragie_digestive")
            + 0.8 * z
        )
    if key == "wbc":
        return 7.2 * np.exp(0.28 * acute * (1 + infect) + 0.3 * drift + 0.25 * z)
    if key == "platelets":
        return 250 * np.exp(-0.08 * acute - 0.4 * drift + 0.25 * z)
    if key == "crp":
        return np.exp(
            np.where(infect, np.log(60) + 0.6 * acute, np.log(4) + 0.4 * hot)
            + drift
            + np.where(infect, 0.7, 0.9) * z
        )
    if key == "lactate":
        return np.exp(np.log(1.2) + 0.22 * hot + 0.9 * drift + 0.4 * is_("sepsis") + 0.25 * z)
    if key == "sodium":
        return 139 - 1.2 * hot - 2 * c["heart_failure"][person] + 2.8 * z
    if key == "potassium":
        return 4.2 + 0.45 * c["ckd"][person] + 0.2 * hot + 0.35 * z
    if key == "glucose":
        diabetes = c["diabetes"][person]
        return 5.4 + 3.2 * diabetes + 0.5 * hot + 0.9 * z * (1 + diabetes)
    if key == "hba1c":
        diabetes = c["diabetes"][person]
        return 5.5 + 2.2 * diabetes + (0.5 + 0.7 * diabetes) * z
    if key == "troponin":
        mi = is_("infarctus")
        other = np.log(6) + 0.3 * hot + 0.6 * c["heart_failure"][person] + 0.5 * c["ckd"][person]
        return np.exp(np.where(mi, np.log(900), other) + np.where(mi, 0.9, 0.7) * z)
    # bnp
    age = people.age_at(d["time"], person)
    chronic = np.where(c["heart_failure"][person], np.log(350), np.log(30) + 0.02 * (age - 50))
    return np.exp(np.where(is_("insuffisance_cardiaque"), np.log(1100), chronic) + 0.7 * z)


__all__ = ["measurements"]
