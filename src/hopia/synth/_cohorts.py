"""Longitudinal cohorts: Huntington's disease follow-up and organised breast-cancer screening.

Both are planned as *steps* (one clinic visit each, with the codes it records) before the
timelines are made consistent; steps are never displaced by other contacts but nothing is
kept after an in-hospital death. Their parameters go to ``synth_truth.huntington`` and
``synth_truth.screening``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from hopia.synth._arrow import DAY, HOUR, dates, floats, ints
from hopia.synth._catalogue import UNIT_INDEX, code_index
from hopia.synth._frames import Frame, group_rank, take
from hopia.synth._people import YEAR, People
from hopia.synth._stays import DH, OP

HUNTINGTON, SCREENING = 1, 2
_NONE = -1


def _c(vocabulary: str, code: str) -> int:
    return code_index(vocabulary, code)


def plan_cohorts(
    people: People, start: int, end: int, rng: np.random.Generator
) -> tuple[Frame, Frame, dict[str, pa.Table]]:
    """Steps of both cohorts (visits with their codes), screening invitations, truth tables."""
    hd_steps, hd_truth = _huntington(people, start, end, rng)
    sc_steps, sc_truth, invitations = _screening(people, start, end, rng)
    steps = {k: np.concatenate([hd_steps[k], sc_steps[k]]) for k in hd_steps}
    return steps, invitations, {"huntington": hd_truth, "screening": sc_truth}


def _empty_steps(n: int) -> Frame:
    return {
        "person": np.zeros(n, np.int64), "start": np.zeros(n, np.int64), "end": np.zeros(n, np.int64),
        "kind": np.full(n, OP), "unit": np.zeros(n, np.int64), "cohort": np.zeros(n, np.int64),
        "procedure": np.full(n, _NONE), "condition": np.full(n, _NONE), "observation": np.full(n, _NONE),
        "observation2": np.full(n, _NONE), "drug": np.full(n, _NONE), "tms": np.full(n, np.nan),
        "tfc": np.full(n, np.nan), "cag": np.full(n, np.nan),
    }  # fmt: skip


def _huntington(
    people: People, start: int, end: int, rng: np.random.Generator
) -> tuple[Frame, pa.Table]:
    n_people = len(people)
    age_mid = people.age_at(np.full(n_people, (start + end) // 2), np.arange(n_people))
    eligible = np.flatnonzero((age_mid >= 25) & (age_mid <= 75))
    size = min(len(eligible), max(10, round(0.003 * n_people)))
    person = np.sort(rng.choice(eligible, size=size, replace=False))
    repeats = np.arange(38, 59)
    p = np.exp(-0.35 * np.abs(repeats - 43))
    cag = rng.choice(repeats, size=size, p=p / p.sum())
    mean_onset = 21.54 + np.exp(9.556 - 0.146 * cag)  # Langbehn et al. 2004
    sd_onset = np.sqrt(35.55 + np.exp(17.72 - 0.3269 * cag))
    onset_age = np.clip(rng.normal(mean_onset, sd_onset), 15, 90)
    onset_time = people.birth[person] + (onset_age * YEAR).astype(np.int64)
    tms_slope = np.clip(2.5 + 0.25 * (cag - 42) + rng.normal(0, 0.6, size), 0.8, 8)
    tfc_slope = np.clip(0.6 + 0.05 * (cag - 42) + rng.normal(0, 0.15, size), 0.2, 1.5)

    first = start + (rng.random(size) * 365 * DAY).astype(np.int64)
    visits = np.maximum((end - DAY - first) // int(YEAR) + 1, 0)
    who = np.repeat(np.arange(size), visits)
    k = group_rank(who)
    day = first[who] + k * int(YEAR) + rng.integers(-30, 30, len(who)) * DAY
    day = np.clip(day, start, end - 2 * DAY) // DAY * DAY
    t = day + 9 * HOUR + rng.integers(0, 7 * HOUR, len(who))
    years_since = (t - onset_time[who]) / YEAR
    prodrome = np.clip(10 + years_since, 0, 10)  # rises over the 10 years before onset
    tms_true = np.where(years_since < 0, prodrome * 0.6, 6 + tms_slope[who] * years_since)
    tms = np.clip(np.round(tms_true + rng.normal(0, 3, len(who))), 0, 124)
    tfc = np.clip(
        np.round(13 - np.maximum(years_since, 0) * tfc_slope[who] + rng.normal(0, 0.7, len(who))),
        0,
        13,
    )
    manifest = years_since >= 0
    steps = _empty_steps(len(who))
    steps.update(
        person=person[who], start=t, end=t + rng.integers(30, 60, len(who)) * 60, unit=np.full(len(who), UNIT_INDEX["NEURO"]),
        cohort=np.full(len(who), HUNTINGTON),
        condition=np.where(manifest, _c("ICD10", "G10"), _c("ICD10", "Z82.0")),
        drug=np.where(manifest & (tms > 25), _c("ATC", "N05AX12"), _NONE),
        tms=tms, tfc=tfc, cag=np.where(k == 0, cag[who].astype(float), np.nan),
    )  # fmt: skip
    truth = pa.table(
        {
            "person_id": ints(people.person_id[person]),
            "cag_repeats": ints(cag),
            "onset_age": floats(np.round(onset_age, 2)),
            "onset_date": dates(onset_time),
            "tms_slope_per_year": floats(np.round(tms_slope, 3)),
            "tfc_slope_per_year": floats(np.round(tfc_slope, 3)),
        }
    )
    return steps, truth


def _screening(
    people: People, start: int, end: int, rng: np.random.Generator
) -> tuple[Frame, pa.Table, Frame]:
    women = np.flatnonzero(people.female)
    first = start + (rng.random(len(women)) * 730 * DAY).astype(np.int64)
    rounds = int((end - start) // (730 * DAY)) + 1
    who = np.repeat(np.arange(len(women)), rounds)
    k = np.tile(np.arange(rounds), len(women))
    invite = first[who] + k * 730 * DAY
    person = women[who]
    age = people.age_at(invite, person)
    keep = (age >= 50) & (age < 75) & (invite < end - 240 * DAY)
    person, invite, k, age = person[keep], invite[keep] // DAY * DAY + 9 * HOUR, k[keep], age[keep]
    n = len(person)
    participated = rng.random(n) < 0.5
    cancer = participated & (rng.random(n) < 0.004 + 0.0002 * (age - 50))
    acr_if_cancer = rng.choice([0, 4, 5], size=n, p=[0.1, 0.4, 0.5])
    acr_if_not = rng.choice([1, 2, 3, 0, 4], size=n, p=[0.6, 0.33, 0.04, 0.025, 0.005])
    acr = np.where(cancer, acr_if_cancer, acr_if_not)
    recalled = participated & np.isin(acr, [0, 3, 4, 5])
    mammo = invite + rng.integers(14, 90, n) * DAY + rng.integers(0, 8 * HOUR, n)
    complement_acr = np.where(
        cancer, rng.choice([4, 5], size=n), 2
    )  # after extra imaging for ACR 0
    biopsy = participated & ((acr >= 4) | ((acr == 0) & (complement_acr >= 4)))
    radio, onco, surgery = UNIT_INDEX["RADIO"], UNIT_INDEX["ONCO"], UNIT_INDEX["CHIR_VISC"]

    parts: list[Frame] = []

    def step(
        mask: np.ndarray, when: np.ndarray, unit: int, kind: int = OP, **codes: np.ndarray | int
    ) -> None:
        s = _empty_steps(int(mask.sum()))
        s.update(person=person[mask], start=when[mask], end=when[mask] + 40 * 60, unit=np.full(int(mask.sum()), unit),
                 kind=np.full(int(mask.sum()), kind), cohort=np.full(int(mask.sum()), SCREENING))  # fmt: skip
        for name, value in codes.items():
            s[name] = (
                np.broadcast_to(value, (len(mask),))[mask].copy()
                if np.ndim(value)
                else np.full(int(mask.sum()), value)
            )
        parts.append(s)

    acr_code = np.array([_c("ACR", str(i)) for i in range(6)])
    step(participated, mammo, radio, procedure=_c("CCAM", "QEQK004"), condition=_c("ICD10", "Z12.3"),
         observation=acr_code[acr], observation2=np.where(recalled, _c("DEPISTAGE", "RAPPEL"), _NONE))  # fmt: skip
    step(
        participated & (acr == 0),
        mammo + 12 * DAY,
        radio,
        procedure=_c("CCAM", "QEQJ001"),
        observation=acr_code[complement_acr],
    )
    step(
        participated & (acr == 3),
        mammo + 182 * DAY,
        radio,
        procedure=_c("CCAM", "QEQK004"),
        observation=acr_code[2],
    )
    diagnosis = np.where(cancer, _c("ICD10", "C50.9"), _c("ICD10", "D24"))
    step(biopsy, mammo + 26 * DAY, radio, procedure=_c("CCAM", "QEHB001"), condition=diagnosis)
    step(
        cancer,
        mammo + 55 * DAY,
        surgery,
        kind=DH,
        procedure=_c("CCAM", "QEFA003"),
        condition=_c("ICD10", "C50.9"),
    )
    step(cancer, mammo + 80 * DAY, onco, condition=_c("ICD10", "C50.9"), drug=_c("ATC", "L02BG04"))
    steps = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    steps = take(steps, steps["end"] < end - DAY)
    truth = pa.table(
        {
            "person_id": ints(people.person_id[person]),
            "round": ints(k + 1),
            "invitation_date": dates(invite),
            "participated": pa.array(participated),
            "acr": ints(acr, valid=participated),
            "recalled": pa.array(recalled),
            "biopsy": pa.array(biopsy),
            "cancer": pa.array(cancer),
        }
    )
    return steps, truth, {"person": person, "time": invite}
