"""Who comes when: ED arrivals, planned admissions, readmissions, clinics, day hospital.

Every contact is drawn for all persons at once (Poisson counts, then ``np.repeat``); the
contacts of one person are then made consistent: a contact that starts while an earlier one
is still running is dropped, and nothing is kept after an in-hospital death.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hopia.synth._arrow import DAY, HOUR
from hopia.synth._catalogue import ED_REASONS, REASON_INDEX, REASONS, UNIT_INDEX
from hopia.synth._emergency import emergency_visits
from hopia.synth._epidemics import EpidemicArrivals, arrival_hours, daily_weights
from hopia.synth._frames import Frame, categorical, concat, length, take
from hopia.synth._inpatient import SSR, inpatient_stays, major_comorbidities
from hopia.synth._people import YEAR, People

ER, IP, OP, DH, SSR_STAY = range(5)
_AGE_GROUPS = np.array([2, 15, 65, 80])  # <2, 2-14, 15-64, 65-79, 80+
_ED_RATE = np.array([0.9, 0.35, 0.22, 0.32, 0.55])  # baseline ED visits per person-year
_ED_WEIGHTS = np.array([REASONS[i].weights for i in ED_REASONS], dtype=float).T  # group × reason
_ELECTIVE = [
    REASON_INDEX[k]
    for k in (
        "cholecystectomie",
        "colectomie",
        "prothese_hanche",
        "prothese_genou",
        "chimio_poumon",
        "coronarographie",
    )
]
_ELECTIVE_WEIGHTS = np.array([3, 1.5, 2, 2, 1.2, 2.0])
_READMISSION_REASONS = np.array(
    [REASON_INDEX[k] for k in ("pneumopathie", "infection_urinaire", "malaise", "chute", "insuffisance_cardiaque", "bpco", "insuffisance_renale", "sepsis")]
)  # fmt: skip
_HAS_MOTIF = np.array([bool(r.motif) for r in REASONS])
_CLINICS = np.array([UNIT_INDEX[u] for u in ("CARDIO", "PNEUMO", "MED_INT", "GERIA", "ONCO", "NEURO", "CHIR_ORTHO", "PEDIA")])  # fmt: skip


@dataclass
class Stays:
    """The contacts kept, one frame per kind (rows keep a link to their episode)."""

    ed: Frame  # ED visits (admitted or not)
    ip: Frame  # acute inpatient stays
    ssr: Frame  # rehabilitation stays in the CHRU's SSR unit after an acute stay
    ambulatory: Frame  # outpatient visits and day-hospital sessions (kind OP or DH)
    outbreaks_kept: np.ndarray  # excess ED arrivals kept, per outbreak
    death_time: np.ndarray  # per person, -1 when alive at the end


def age_group(age: np.ndarray) -> np.ndarray:
    return np.searchsorted(_AGE_GROUPS, age, side="right")


def _poisson_times(
    rate: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    cdf: np.ndarray,
    start: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson(rate × years) contacts per person between ``first`` and ``last``; days follow ``cdf``."""
    years = np.maximum(last - first, 0) / YEAR
    counts = rng.poisson(rate * years)
    person = np.repeat(np.arange(len(rate)), counts)
    lo_day = (first[person] - start) // DAY
    hi_day = (last[person] - start) // DAY
    u = cdf[lo_day] + rng.random(len(person)) * (cdf[hi_day] - cdf[lo_day])
    day = np.clip(np.searchsorted(cdf, u, side="right") - 1, lo_day, hi_day)
    return person, start + day * DAY


def _weekday_morning(time: np.ndarray, rng: np.random.Generator, latest: int) -> np.ndarray:
    day = time // DAY
    weekday = (day + 3) % 7
    day = day + np.where(weekday >= 5, 7 - weekday, 0)
    out = day * DAY + 8 * HOUR + rng.integers(0, 3 * HOUR, len(day))
    return np.where(out > latest, time, out)


def plan_stays(
    people: People, start: int, end: int, epidemics: EpidemicArrivals, n_outbreaks: int,
    extra_visits: Frame, rng: np.random.Generator,
) -> Stays:  # fmt: skip
    """Draw every contact of every person and make each person's timeline consistent."""
    n_days = (end - start) // DAY
    load = daily_weights(start, n_days)
    cdf = np.r_[0.0, np.cumsum(load)]
    first = np.maximum(start, people.birth + DAY)
    last = np.full(len(people), end - DAY)
    middle = np.full(len(people), (start + end) // 2)
    age_mid = people.age_at(middle, np.arange(len(people)))
    comorbid = major_comorbidities(people, np.arange(len(people)))

    # baseline ED arrivals
    rate = _ED_RATE[age_group(np.maximum(age_mid, 0))] * np.exp(
        0.35 * people.frailty + 0.15 * comorbid - 0.1
    )
    person, day_start = _poisson_times(rate, first, last, cdf, start, rng)
    time = np.maximum(day_start + arrival_hours(len(person), rng), first[person])
    group = age_group(people.age_at(time, person))
    reason = ED_REASONS[categorical(_ED_WEIGHTS[group], rng)]
    c = people.comorbidity
    for name, key, share in (
        ("heart_failure", "insuffisance_cardiaque", 0.25), ("copd", "bpco", 0.25),
        ("atrial_fibrillation", "fibrillation", 0.1), ("dementia", "confusion", 0.15),
    ):  # fmt: skip
        swap = c[name][person] & (rng.random(len(person)) < share)
        reason = np.where(swap, REASON_INDEX[key], reason)
    arrivals = {
        "person": np.concatenate([person, epidemics.person]),
        "time": np.concatenate([time, epidemics.time]),
        "reason": np.concatenate([reason, epidemics.reason]).astype(np.int32),
        "outbreak": np.concatenate([np.full(len(person), -1, np.int32), epidemics.outbreak]),
        "forced": np.zeros(len(person) + len(epidemics.person), bool),
    }
    arrivals = take(arrivals, arrivals["time"] < end - DAY)

    # planned admissions: surgery, chemotherapy, coronary angiography, births
    adult = (age_mid >= 18).astype(float)
    older = np.clip((age_mid - 40) / 30, 0, 1.5)
    rate_el = adult * (0.015 + 0.05 * older) * np.exp(0.2 * comorbid)
    el_person, el_day = _poisson_times(rate_el, first, last, cdf, start, rng)
    el_reason = np.array(_ELECTIVE)[
        rng.choice(
            len(_ELECTIVE), size=len(el_person), p=_ELECTIVE_WEIGHTS / _ELECTIVE_WEIGHTS.sum()
        )
    ]
    mothers = people.female & (age_mid >= 19) & (age_mid <= 42)
    b_person, b_day = _poisson_times(0.07 * mothers, first, last, cdf, start, rng)
    b_reason = np.where(
        rng.random(len(b_person)) < 0.2, REASON_INDEX["cesarienne"], REASON_INDEX["accouchement"]
    )
    births_time = b_day + arrival_hours(len(b_person), rng)
    planned = {
        "person": np.concatenate([el_person, b_person]),
        "admit": np.concatenate([_weekday_morning(el_day, rng, end - 2 * DAY), births_time]),
        "reason": np.concatenate([el_reason, b_reason]).astype(np.int32),
    }

    ed_frames: list[Frame] = []
    ip_frames: list[Frame] = []
    for round_ in range(4):
        ed = emergency_visits(arrivals, people, load, start, rng)
        ed["round"] = np.full(length(ed), round_)
        ed_offset = sum(length(f) for f in ed_frames)
        admitted = np.flatnonzero(ed["admitted"])
        admissions = {
            "person": np.concatenate([ed["person"][admitted], planned["person"]]),
            "admit": np.concatenate([ed["departure"][admitted], planned["admit"]]),
            "reason": np.concatenate([ed["reason"][admitted], planned["reason"]]).astype(np.int32),
            "severity": np.concatenate(
                [ed["severity"][admitted], np.full(len(planned["person"]), np.nan)]
            ),
            "ed_row": np.concatenate([admitted + ed_offset, np.full(len(planned["person"]), -1)]),
        }
        ip = inpatient_stays(admissions, people, rng)
        ip["round"] = np.full(length(ip), round_)
        ip["readmission_planted"] = (rng.random(length(ip)) < ip["p_readmission"]) & (round_ < 3)
        ed_frames.append(ed)
        ip_frames.append(ip)
        back = np.flatnonzero(ip["readmission_planted"])
        gap = np.minimum(0.5 + rng.exponential(9, len(back)), 29.5) * DAY
        when = ip["discharge"][back] + gap.astype(np.int64)
        same = (rng.random(len(back)) < 0.5) & _HAS_MOTIF[ip["reason"][back]]
        other = _READMISSION_REASONS[rng.integers(0, len(_READMISSION_REASONS), len(back))]
        reason_back = np.where(same, ip["reason"][back], other).astype(np.int32)
        via_ed = rng.random(len(back)) < 0.65
        arrivals = {
            "person": ip["person"][back][via_ed],
            "time": when[via_ed],
            "reason": reason_back[via_ed],
            "outbreak": np.full(int(via_ed.sum()), -1, np.int32),
            "forced": np.ones(int(via_ed.sum()), bool),
        }
        planned = {
            "person": ip["person"][back][~via_ed],
            "admit": _weekday_morning(when[~via_ed], rng, end),
            "reason": reason_back[~via_ed],
        }
        arrivals = take(arrivals, arrivals["time"] < end - DAY)
        planned = take(planned, planned["admit"] < end - DAY)
    ed, ip = concat(ed_frames), concat(ip_frames)
    ip = take(
        ip, ip["discharge"] < end
    )  # stays still running at the end of the window are left out

    to_ssr = (ip["destination"] == SSR) & (rng.random(length(ip)) < 0.5)
    ssr_rows = np.flatnonzero(to_ssr)
    ssr_start = ip["discharge"][ssr_rows]
    ssr_end = (
        ssr_start // DAY * DAY
        + (np.clip(21 * np.exp(rng.normal(0, 0.5, len(ssr_rows))), 5, 90) * DAY).astype(np.int64)
        + 11 * HOUR
    )
    ssr = {"person": ip["person"][ssr_rows], "start": ssr_start, "end": ssr_end, "ip_row": ssr_rows}
    ssr = take(ssr, ssr["end"] < end)

    ambulatory = concat(
        [_clinics(people, first, last, cdf, start, age_mid, end, rng), extra_visits]
    )
    return _consistent(people, ed, ip, ssr, ambulatory, n_outbreaks)


def _clinics(
    people: People, first: np.ndarray, last: np.ndarray, cdf: np.ndarray, start: int,
    age_mid: np.ndarray, end: int, rng: np.random.Generator,
) -> Frame:  # fmt: skip
    """Outpatient consultations (chronic follow-up) and day-hospital chemotherapy courses."""
    c = people.comorbidity
    n_chronic = sum(c[name].astype(np.int64) for name in c)
    rate = 0.15 + 0.35 * n_chronic
    person, day = _poisson_times(rate, first, last, cdf, start, rng)
    a = lambda name: c[name][person].astype(float)  # noqa: E731
    child = (people.age_at(day, person) < 16).astype(float)
    weights = np.stack(
        [
            0.2
            + 2 * np.maximum(a("heart_failure"), a("atrial_fibrillation"))
            + 0.5 * a("hypertension"),
            0.2 + 2 * a("copd"),
            0.5 + 1.5 * a("diabetes") + a("ckd"),
            1.5 * a("dementia"),
            3 * a("cancer"),
            np.full(len(person), 0.3),
            np.full(len(person), 0.5),
            np.zeros(len(person)),
        ],
        axis=1,
    )
    weights = np.where(child[:, None] > 0, np.array([0, 0, 0, 0, 0, 0, 0.3, 3.0]), weights)
    unit = _CLINICS[categorical(weights, rng)]
    visit_start = _weekday_morning(day, rng, end - DAY) + rng.integers(0, 6 * HOUR, len(person))
    visit_end = visit_start + rng.integers(15, 45, len(person)) * 60
    # day hospital: one course of six chemotherapy sessions, three weeks apart
    treated = np.flatnonzero(
        c["cancer"] & (rng.random(len(people)) < 0.6) & (last - first > 30 * DAY)
    )
    course_start = first[treated] + (
        rng.random(len(treated)) * (last[treated] - first[treated])
    ).astype(np.int64)
    dh_person = np.repeat(treated, 6)
    dh_day = np.repeat(course_start, 6) + np.tile(np.arange(6) * 21 * DAY, len(treated))
    dh_start = _weekday_morning(dh_day, rng, end - DAY)
    dh_end = dh_start + rng.integers(4 * HOUR, 7 * HOUR, len(dh_person))
    frame = {
        "person": np.concatenate([person, dh_person]),
        "start": np.concatenate([visit_start, dh_start]),
        "end": np.concatenate([visit_end, dh_end]),
        "kind": np.concatenate([np.full(len(person), OP), np.full(len(dh_person), DH)]),
        "unit": np.concatenate([unit, np.full(len(dh_person), UNIT_INDEX["ONCO"])]),
        "cohort": np.zeros(len(person) + len(dh_person), np.int64),
        "cohort_row": np.full(len(person) + len(dh_person), -1),
    }
    return take(frame, frame["end"] < end)


def _consistent(
    people: People, ed: Frame, ip: Frame, ssr: Frame, ambulatory: Frame, n_outbreaks: int
) -> Stays:
    """Drop contacts that overlap an earlier one of the same person, and all after a death."""
    n_ed, n_ip = length(ed), length(ip)
    # episodes: ED alone, (ED +) IP (+ SSR), ambulatory
    ed_episode = np.arange(n_ed)
    ip_episode = np.where(ip["ed_row"] >= 0, ip["ed_row"], n_ed + np.arange(n_ip))
    in_ip_episode = np.zeros(n_ed, bool)
    in_ip_episode[ip["ed_row"][ip["ed_row"] >= 0]] = True
    ep_person = np.concatenate([ed["person"], ip["person"], ambulatory["person"]])
    ep_start = np.concatenate([ed["time"], ip["admit"], ambulatory["start"]])
    ep_end = np.concatenate([ed["departure"], ip["discharge"], ambulatory["end"]])
    ep_end[ip_episode] = np.maximum(ep_end[ip_episode], ip["discharge"])
    ep_start[ip_episode] = np.minimum(ep_start[ip_episode], ip["admit"])
    ssr_episode = ip_episode[ssr["ip_row"]]
    ep_end[ssr_episode] = np.maximum(ep_end[ssr_episode], ssr["end"])
    n_ep = len(ep_person)
    is_episode = np.ones(n_ep, bool)
    is_episode[n_ed : n_ed + n_ip] = (
        ip["ed_row"] < 0
    )  # IP rows reached from the ED live in the ED's episode
    exempt = np.zeros(n_ep, bool)  # cohort visits (screening, follow-up) are never displaced
    exempt[n_ed + n_ip :] = ambulatory["cohort"] > 0

    candidates = np.flatnonzero(is_episode)
    order = candidates[np.lexsort((candidates, ep_start[candidates], ep_person[candidates]))]
    person, s, e = ep_person[order], ep_start[order], ep_end[order]
    origin = min(int(s.min(initial=0)), 0) - 1
    span = int(e.max(initial=1)) - origin + 1
    key = person * span + (np.where(exempt[order], 0, e - origin))
    running = np.maximum.accumulate(key)
    previous = np.r_[-1, running[:-1]] - person * span + origin
    keep_ep = np.zeros(n_ep, bool)
    keep_ep[order] = ~((s < previous) & ~exempt[order])

    # deaths: the first kept stay that ends in death closes the person's timeline
    ip_keep = keep_ep[ip_episode]
    died = ip_keep & ip["died"]
    death_time = np.full(len(people), np.iinfo(np.int64).max)
    np.minimum.at(death_time, ip["person"][died], ip["discharge"][died])
    keep_ep &= ep_start < death_time[ep_person]
    ip_keep = keep_ep[ip_episode]
    ip_keep &= ~(ip["died"] & (ip["discharge"] > death_time[ip["person"]]))

    ed_keep = np.where(in_ip_episode | ed["admitted"], False, keep_ep[ed_episode])
    ed_keep[ip["ed_row"][ip_keep & (ip["ed_row"] >= 0)]] = True
    ssr_keep = ip_keep[ssr["ip_row"]] & (ssr["end"] < death_time[ssr["person"]])
    amb_keep = keep_ep[n_ed + n_ip :]

    new_ed_row = np.cumsum(ed_keep) - 1
    ip = take(ip, ip_keep)
    ip["ed_row"] = np.where(ip["ed_row"] >= 0, new_ed_row[np.maximum(ip["ed_row"], 0)], -1)
    new_ip_row = np.cumsum(ip_keep) - 1
    ssr = take(ssr, ssr_keep)
    ssr["ip_row"] = new_ip_row[ssr["ip_row"]]
    ed = take(ed, ed_keep)
    kept = np.bincount(ed["outbreak"][ed["outbreak"] >= 0], minlength=n_outbreaks)
    death_time = np.where(death_time == np.iinfo(np.int64).max, -1, death_time)
    return Stays(ed, ip, ssr, take(ambulatory, amb_keep), kept, death_time)
