"""Diagnoses (CIM-10, PMSI-like main + associated), drugs (ATC), procedures (CCAM), ED
observations (triage, chief complaint, steps) and deaths."""

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
    labels,
    omop_table,
    source_values,
    timestamps,
)
from hopia.synth._catalogue import (
    CATALOGUE,
    CHRONIC_DRUGS,
    COMORBIDITIES,
    REASONS,
    code_index,
    code_indices,
)
from hopia.synth._people import People
from hopia.synth._stays import DH, OP, Stays
from hopia.synth._visits import EHR, VisitIds

_DP, _DAS = 0, 1
_STATUS = ("DP", "DAS")
_STATUS_CONCEPT = np.array([32902, 32908])  # primary / secondary diagnosis
_REASON_ICD = np.array([code_index("ICD10", r.icd10) for r in REASONS])
_REASON_DRUGS = [code_indices("ATC", r.drugs) for r in REASONS]
_REASON_PROCS = [code_indices("CCAM", r.procedures) for r in REASONS]
_BRAIN_CT = code_index("CCAM", "ACQK001")
_ANTIBIOTIC = np.array([c.vocabulary == "ATC" and c.code.startswith("J01") for c in CATALOGUE])


class Rows:
    """Accumulates column chunks for one table (visit, person, code, time, …)."""

    def __init__(self) -> None:
        self.chunks: dict[str, list[np.ndarray]] = {}

    def add(self, **columns: np.ndarray) -> None:
        n = max(len(np.atleast_1d(v)) for v in columns.values())
        for name, value in columns.items():
            value = (
                np.broadcast_to(np.asarray(value), (n,))
                if np.ndim(value) == 0
                else np.asarray(value)
            )
            self.chunks.setdefault(name, []).append(value)

    def get(self) -> dict[str, np.ndarray]:
        return {name: np.concatenate(parts) for name, parts in self.chunks.items()}


def _per_code(codes: list[np.ndarray], key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expand rows to one row per code in ``codes[key[row]]`` → (row index, code index)."""
    counts = np.array([len(c) for c in codes])[key]
    rows = np.repeat(np.arange(len(key)), counts)
    flat = np.concatenate([*codes, np.zeros(1, np.int32)])
    offsets = np.r_[0, np.cumsum([len(c) for c in codes])][key]
    within = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows, flat[np.repeat(offsets, counts) + within]


def conditions(
    people: People,
    stays: Stays,
    ids: VisitIds,
    rng: np.random.Generator,
    extra: dict[str, np.ndarray],
) -> pa.Table:
    ed, ip, amb = stays.ed, stays.ip, stays.ambulatory
    rows = Rows()
    n_extra = len(extra["visit"])
    rows.add(visit=extra["visit"], person=extra["person"], code=extra["code"], day=extra["time"],
             time=np.full(n_extra, -1), status=np.full(n_extra, _DP))  # fmt: skip
    rows.add(visit=ids.ed, person=ed["person"], code=_REASON_ICD[ed["reason"]], day=ed["time"],
             time=ed["decision"], status=np.full(len(ids.ed), _DP))  # fmt: skip
    rows.add(visit=ids.ip, person=ip["person"], code=_REASON_ICD[ip["reason"]], day=ip["admit"],
             time=np.full(len(ids.ip), -1), status=np.full(len(ids.ip), _DP))  # fmt: skip
    rows.add(visit=ids.ssr, person=stays.ssr["person"], code=_REASON_ICD[ip["reason"][stays.ssr["ip_row"]]],
             day=stays.ssr["start"], time=np.full(len(ids.ssr), -1), status=np.full(len(ids.ssr), _DP))  # fmt: skip
    op, dh = amb["kind"] == OP, amb["kind"] == DH
    dh_rows = np.flatnonzero(dh)
    rows.add(visit=ids.ambulatory[dh_rows], person=amb["person"][dh_rows], code=np.full(len(dh_rows), code_index("ICD10", "Z51.1")),
             day=amb["start"][dh_rows], time=np.full(len(dh_rows), -1), status=np.full(len(dh_rows), _DP))  # fmt: skip
    for name, (icd, _) in COMORBIDITIES.items():
        has = people.comorbidity[name]
        for visit, person, day, share in (
            (ids.ip, ip["person"], ip["admit"], 0.8),
            (ids.ambulatory[op], amb["person"][op], amb["start"][op], 0.5),
            (
                ids.ambulatory[dh],
                amb["person"][dh],
                amb["start"][dh],
                1.0 if name == "cancer" else 0.3,
            ),
        ):
            pick = has[person] & (rng.random(len(person)) < share)
            rows.add(visit=visit[pick], person=person[pick], code=np.full(int(pick.sum()), code_index("ICD10", icd)),
                     day=day[pick], time=np.full(int(pick.sum()), -1), status=np.full(int(pick.sum()), _DAS))  # fmt: skip
    r = rows.get()
    # a chronic condition that is also the main diagnosis is coded once
    dup = np.zeros(len(r["visit"]), bool)
    key = r["visit"] * 1000 + r["code"]
    _, first = np.unique(key, return_index=True)
    dup[:] = True
    dup[first] = False
    r = {k: v[~dup] for k, v in r.items()}
    n = len(r["visit"])
    return omop_table(
        "condition_occurrence",
        {
            "condition_occurrence_id": ints(np.arange(1, n + 1)),
            "person_id": ints(people.person_id[r["person"]]),
            "condition_concept_id": concept_ids(r["code"]),
            "condition_start_date": dates(r["day"]),
            "condition_start_datetime": timestamps(r["time"], valid=r["time"] >= 0),
            "condition_type_concept_id": constant(EHR, n, pa.int64()),
            "condition_status_concept_id": ints(_STATUS_CONCEPT[r["status"]]),
            "visit_occurrence_id": ints(r["visit"]),
            "condition_source_value": source_values(r["code"]),
            "condition_status_source_value": labels(r["status"], _STATUS),
        },
        n,
    )


def drugs(
    people: People,
    stays: Stays,
    ids: VisitIds,
    end: int,
    rng: np.random.Generator,
    extra: dict[str, np.ndarray],
    timed: dict[str, np.ndarray] | None = None,
) -> pa.Table:
    ed, ip, amb = stays.ed, stays.ip, stays.ambulatory
    rows = Rows()
    rows.add(**extra)
    # inpatient: the reason's drugs, thromboprophylaxis, paracetamol, chronic drugs continued
    i, code = _per_code(_REASON_DRUGS, ip["reason"])
    begin = ip["admit"][i] + rng.integers(HOUR, 6 * HOUR, len(i))
    rows.add(visit=ids.ip[i], person=ip["person"][i], code=code, start=begin,
             stop=np.maximum(np.minimum(ip["discharge"][i], begin + 7 * DAY), begin + HOUR), supply=np.zeros(len(i), int))  # fmt: skip
    for atc, share, adult_only in (("B01AB05", 0.7, True), ("N02BE01", 0.5, False)):
        pick = (rng.random(len(ids.ip)) < share) & ((not adult_only) | (ip["age"] >= 18))
        begin = ip["admit"][pick] + rng.integers(2 * HOUR, 12 * HOUR, int(pick.sum()))
        rows.add(visit=ids.ip[pick], person=ip["person"][pick], code=np.full(int(pick.sum()), code_index("ATC", atc)),
                 start=begin, stop=np.maximum(ip["discharge"][pick], begin + HOUR), supply=np.zeros(int(pick.sum()), int))  # fmt: skip
    op = np.flatnonzero(amb["kind"] == OP)
    limit = np.where(stays.death_time >= 0, stays.death_time, end)
    for name, atcs in CHRONIC_DRUGS.items():
        has = people.comorbidity[name]
        for atc in atcs:
            pick = has[ip["person"]] & (rng.random(len(ids.ip)) < 0.8)
            begin = ip["admit"][pick] + rng.integers(2 * HOUR, 12 * HOUR, int(pick.sum()))
            rows.add(visit=ids.ip[pick], person=ip["person"][pick], code=np.full(int(pick.sum()), code_index("ATC", atc)),
                     start=begin, stop=np.maximum(ip["discharge"][pick], begin + HOUR), supply=np.zeros(int(pick.sum()), int))  # fmt: skip
            pick = op[has[amb["person"][op]] & (rng.random(len(op)) < 0.5)]
            begin = amb["end"][pick]
            stop = np.maximum(
                np.minimum(begin + 90 * DAY, limit[amb["person"][pick]] - HOUR), begin
            )
            rows.add(visit=ids.ambulatory[pick], person=amb["person"][pick], code=np.full(len(pick), code_index("ATC", atc)),
                     start=begin, stop=stop, supply=np.full(len(pick), 90))  # fmt: skip
    # ED: one dose of the reason's drugs after the medical decision; in a sepsis, the
    # antibiotics at the planted time (_pathway_delays), the first one always given
    i, code = _per_code(_REASON_DRUGS, ed["reason"])
    pick = rng.random(len(i)) < 0.6
    antibiotics = timed["antibiotics"][i] if timed else np.full(len(i), -1)
    first = np.ones(len(i), bool)  # the reason's first drug (rows come grouped by visit)
    first[1:] = i[1:] != i[:-1]
    pick |= (antibiotics >= 0) & first & _ANTIBIOTIC[code]
    i, code, antibiotics = i[pick], code[pick], antibiotics[pick]
    begin = np.minimum(ed["decision"][i] + 15 * 60, ed["departure"][i])
    begin = np.where((antibiotics >= 0) & _ANTIBIOTIC[code], antibiotics, begin)
    rows.add(
        visit=ids.ed[i],
        person=ed["person"][i],
        code=code,
        start=begin,
        stop=begin,
        supply=np.zeros(len(i), int),
    )
    # day hospital: a chemotherapy doublet each session
    dh = np.flatnonzero(amb["kind"] == DH)
    for atc in ("L01XA01", "L01BA04"):
        begin = amb["start"][dh] + HOUR
        rows.add(visit=ids.ambulatory[dh], person=amb["person"][dh], code=np.full(len(dh), code_index("ATC", atc)),
                 start=begin, stop=np.minimum(begin + 2 * HOUR, amb["end"][dh]), supply=np.zeros(len(dh), int))  # fmt: skip
    r = rows.get()
    n = len(r["visit"])
    return omop_table(
        "drug_exposure",
        {
            "drug_exposure_id": ints(np.arange(1, n + 1)),
            "person_id": ints(people.person_id[r["person"]]),
            "drug_concept_id": concept_ids(r["code"]),
            "drug_exposure_start_date": dates(r["start"]),
            "drug_exposure_start_datetime": timestamps(r["start"]),
            "drug_exposure_end_date": dates(r["stop"]),
            "drug_exposure_end_datetime": timestamps(r["stop"]),
            "drug_type_concept_id": constant(EHR, n, pa.int64()),
            "days_supply": ints(r["supply"], valid=r["supply"] > 0),
            "visit_occurrence_id": ints(r["visit"]),
            "drug_source_value": source_values(r["code"]),
        },
        n,
    )


def procedures(
    people: People,
    stays: Stays,
    ids: VisitIds,
    extra: dict[str, np.ndarray],
    rng: np.random.Generator,
    timed: dict[str, np.ndarray] | None = None,
) -> pa.Table:
    ed, ip = stays.ed, stays.ip
    rows = Rows()
    i, code = _per_code(_REASON_PROCS, ip["reason"])
    when = np.minimum(
        ip["admit"][i] + rng.integers(2 * HOUR, 30 * HOUR, len(i)), ip["discharge"][i] - 30 * 60
    )
    when = np.maximum(when, ip["admit"][i])
    rows.add(visit=ids.ip[i], person=ip["person"][i], code=code, time=when)
    i, code = _per_code(_REASON_PROCS, ed["reason"])
    surgery = np.isin(
        code, code_indices("CCAM", ["HHFA016", "HMFC004", "NBCA006", "DDAF008", "DDQH009"])
    )
    i, code = i[~surgery], code[~surgery]
    when = ed["triage_time"][i] + (
        (ed["decision"][i] - ed["triage_time"][i]) * rng.random(len(i))
    ).astype(np.int64)
    if timed:  # brain imaging of a stroke at the planted time (_pathway_delays)
        imaging = timed["brain_imaging"][i]
        when = np.where((imaging >= 0) & (code == _BRAIN_CT), imaging, when)
    rows.add(visit=ids.ed[i], person=ed["person"][i], code=code, time=when)
    ventilated = np.flatnonzero(ip["icu"] & (rng.random(len(ids.ip)) < 0.5))
    for code_, delay in (("GELD004", HOUR), ("GLLD015", 2 * HOUR)):
        when = np.minimum(ip["deterioration"][ventilated] + delay, ip["discharge"][ventilated])
        rows.add(visit=ids.ip[ventilated], person=ip["person"][ventilated],
                 code=np.full(len(ventilated), code_index("CCAM", code_)), time=when)  # fmt: skip
    if len(extra.get("visit", [])):
        rows.add(**extra)
    r = rows.get()
    n = len(r["visit"])
    return omop_table(
        "procedure_occurrence",
        {
            "procedure_occurrence_id": ints(np.arange(1, n + 1)),
            "person_id": ints(people.person_id[r["person"]]),
            "procedure_concept_id": concept_ids(r["code"]),
            "procedure_date": dates(r["time"]),
            "procedure_datetime": timestamps(r["time"]),
            "procedure_type_concept_id": constant(EHR, n, pa.int64()),
            "visit_occurrence_id": ints(r["visit"]),
            "procedure_source_value": source_values(r["code"]),
        },
        n,
    )


def observations(
    people: People, stays: Stays, ids: VisitIds, extra: dict[str, np.ndarray]
) -> pa.Table:
    """ED triage level, chief complaint and the four ED steps; plus cohort observations."""
    ed = stays.ed
    rows = Rows()
    n_ed = len(ids.ed)
    triage_codes = code_indices("TRIAGE", ["1", "2", "3", "4", "5"])
    rows.add(visit=ids.ed, person=ed["person"], code=triage_codes[ed["triage_level"] - 1], time=ed["triage_time"],
             value=ed["triage_level"].astype(float), detail=ids.ed_urg_detail)  # fmt: skip
    rows.add(
        visit=ids.ed,
        person=ed["person"],
        code=ed["motif"],
        time=ed["time"],
        value=np.full(n_ed, np.nan),
        detail=ids.ed_urg_detail,
    )
    for step, column in (
        ("ARRIVEE", "time"),
        ("TRIAGE", "triage_time"),
        ("DECISION", "decision"),
        ("SORTIE", "departure"),
    ):
        rows.add(visit=ids.ed, person=ed["person"], code=np.full(n_ed, code_index("ED_STEP", step)), time=ed[column],
                 value=np.full(n_ed, np.nan), detail=ids.ed_urg_detail)  # fmt: skip
    if len(extra.get("visit", [])):
        rows.add(**extra)
    r = rows.get()
    n = len(r["visit"])
    return omop_table(
        "observation",
        {
            "observation_id": ints(np.arange(1, n + 1)),
            "person_id": ints(people.person_id[r["person"]]),
            "observation_concept_id": concept_ids(r["code"]),
            "observation_date": dates(r["time"]),
            "observation_datetime": timestamps(r["time"]),
            "observation_type_concept_id": constant(EHR, n, pa.int64()),
            "value_as_number": floats(r["value"], valid=~np.isnan(r["value"])),
            "visit_occurrence_id": ints(
                r["visit"], valid=r["visit"] > 0
            ),  # screening letters: no visit
            "visit_detail_id": ints(r["detail"], valid=r["detail"] > 0),
            "observation_source_value": source_values(r["code"]),
        },
        n,
    )


def deaths(people: People, stays: Stays) -> pa.Table:
    ip = stays.ip
    died = np.flatnonzero(ip["died"])
    n = len(died)
    code = _REASON_ICD[ip["reason"][died]]
    return omop_table(
        "death",
        {
            "person_id": ints(people.person_id[ip["person"][died]]),
            "death_date": dates(ip["discharge"][died]),
            "death_datetime": timestamps(ip["discharge"][died]),
            "death_type_concept_id": constant(EHR, n, pa.int64()),
            "cause_concept_id": concept_ids(code),
            "cause_source_value": source_values(code),
        },
        n,
    )
