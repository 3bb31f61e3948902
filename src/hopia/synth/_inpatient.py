"""Inpatient stays: severity, length of stay, ICU transfer, death, discharge, readmission risk.

The causal story (see docs/synth.md): an acute *severity* (latent, shown by first-day labs and
vital signs) and the person's age, chronic conditions and *frailty* (latent, shown by prior
stays and comorbidity codes) drive the length of stay, the transfer to intensive care, death
and, for survivors, the risk of coming back within 30 days.
"""

from __future__ import annotations

import numpy as np

from hopia.synth._arrow import DAY, HOUR
from hopia.synth._catalogue import REASONS, UNIT_INDEX
from hopia.synth._frames import Frame, categorical, sigmoid
from hopia.synth._people import People

DESTINATIONS = ("domicile", "SSR", "EHPAD", "deces", "transfert", "hospitalisation")
DOMICILE, SSR, EHPAD, DECES, TRANSFERT, HOSPITALISATION = range(6)

_LOS = np.array([r.los for r in REASONS])
_MORT = np.array([r.mort for r in REASONS])
_SEVERITY = np.array([r.severity for r in REASONS])
_WARD = np.array([UNIT_INDEX[r.unit] for r in REASONS])
_ICU = np.array([UNIT_INDEX[r.icu] if r.icu else -1 for r in REASONS])
_STARTS_IN = np.array([UNIT_INDEX[r.starts_in] if r.starts_in else -1 for r in REASONS])
_KEYS = [r.key for r in REASONS]
_REHAB = np.isin(_KEYS, ["avc", "fracture_col", "prothese_hanche", "prothese_genou", "chute"])
_READMIT = np.isin(
    _KEYS, ["insuffisance_cardiaque", "bpco", "sepsis", "pneumopathie", "insuffisance_renale"]
)
_MEDICAL = np.isin(
    np.array([r.unit for r in REASONS]), ["CARDIO", "PNEUMO", "MED_INT", "GERIA", "NEURO"]
)
_PEDIA, _GERIA, _MED_INT, _REA = (UNIT_INDEX[u] for u in ("PEDIA", "GERIA", "MED_INT", "REA"))


def major_comorbidities(people: People, person: np.ndarray) -> np.ndarray:
    c = people.comorbidity
    names = ("heart_failure", "copd", "ckd", "diabetes", "cancer", "dementia")
    return sum(c[name][person].astype(np.int64) for name in names)


def inpatient_stays(admissions: Frame, people: People, rng: np.random.Generator) -> Frame:
    """Outcomes of inpatient stays.

    ``admissions`` has ``person``, ``admit`` (seconds), ``reason``, ``severity`` (from the ED,
    NaN for planned stays) and ``via_ed``. Adds the unit path (three segments at most:
    ward → ICU → ward, or USIC/UNV → ward), ``discharge``, ``died``, ``destination`` and the
    true probabilities ``p_death`` and ``p_readmission``.
    """
    n = len(admissions["person"])
    person, reason, admit = admissions["person"], admissions["reason"], admissions["admit"]
    age = people.age_at(admit, person)
    frailty = people.frailty[person]
    comorbid = major_comorbidities(people, person)
    planned_severity = _SEVERITY[reason] + 0.2 * frailty + rng.normal(0, 0.5, n)
    severity = np.where(np.isnan(admissions["severity"]), planned_severity, admissions["severity"])

    old = np.maximum(age - 65, 0)
    p_death = sigmoid(
        -5.35 + 0.05 * (age - 65) - 0.02 * old + 0.22 * comorbid + 1.05 * severity + _MORT[reason]
        + 0.25 * frailty
    )  # fmt: skip
    died = rng.random(n) < p_death
    los = _LOS[reason] * np.exp(
        0.008 * (age - 60) + 0.18 * severity + 0.06 * comorbid + rng.normal(0, 0.5, n)
    )
    los = np.where(died, los * rng.uniform(0.2, 1.0, n), los)
    los = np.maximum(los, 0.3) * DAY

    ward = _WARD[reason].copy()
    child, medical = age < 16, _MEDICAL[reason]
    ward = np.where(child & medical, _PEDIA, ward)
    ward = np.where((ward == _MED_INT) & (age >= 80) & (rng.random(n) < 0.6), _GERIA, ward)
    ward = np.where((ward == _GERIA) & (age < 75), _MED_INT, ward)
    icu_unit = np.where(child & (_ICU[reason] >= 0), _REA, _ICU[reason])
    starts_in = np.where(child, -1, _STARTS_IN[reason])

    limitation = np.maximum(age - 80, 0) * 0.12  # very old patients: limitation of intensive care
    p_icu = sigmoid(-3.9 + 1.1 * severity + 2.6 * died - limitation + 0.1 * comorbid)
    icu = (icu_unit >= 0) & (starts_in < 0) & (rng.random(n) < p_icu)
    icu_start = admit + np.maximum(2 * HOUR, rng.uniform(0.05, 0.5, n) * los).astype(np.int64)
    icu_length = (np.clip(3 * np.exp(rng.normal(0, 0.6, n)), 0.5, 25) * DAY).astype(np.int64)
    icu_end = icu_start + icu_length
    death_time = np.where(
        icu,
        icu_start + (icu_length * rng.uniform(0.3, 1.0, n)).astype(np.int64),
        admit + los.astype(np.int64),
    )
    nominal_end = np.where(icu, icu_end + np.maximum(DAY, 0.4 * los), admit + los).astype(np.int64)
    # discharges alive leave between 10:00 and 17:00; deaths happen at any hour
    midday = nominal_end // DAY * DAY + 10 * HOUR + rng.integers(0, 7 * HOUR, n)
    last_move = np.where(icu, icu_end, admit)
    midday = np.where(midday < last_move + 4 * HOUR, midday + DAY, midday)
    discharge = np.where(died, death_time, midday)
    icu_end = np.where(died & icu, discharge, icu_end)

    intensive_first = starts_in >= 0
    first_end = np.where(
        intensive_first, admit + (rng.uniform(1, 3, n) * DAY).astype(np.int64), discharge
    )
    first_end = np.minimum(first_end, discharge)
    seg_unit = np.stack([np.where(intensive_first, starts_in, ward), icu_unit, ward], axis=1)
    seg_start = np.stack([admit, icu_start, icu_end], axis=1)
    seg_end = np.stack([np.where(icu, icu_start, first_end), icu_end, discharge], axis=1)
    seg_valid = np.stack(
        [np.ones(n, bool), icu, (icu & ~died) | (intensive_first & (first_end < discharge))], axis=1
    )
    seg_start[:, 2] = np.where(intensive_first, first_end, seg_start[:, 2])
    seg_unit[:, 2] = ward
    deterioration = np.where(icu, icu_start, np.where(died, discharge, -1))

    rehab = _REHAB[reason]
    dementia = people.comorbidity["dementia"][person]
    weights = np.stack(
        [
            np.ones(n),
            np.exp(-3.0 + 0.05 * (age - 70) + 2.0 * rehab + 0.3 * severity),
            np.where(age >= 75, np.exp(-4.0 + 2.2 * dementia + 0.05 * (age - 80)), 0),
            np.zeros(n),
            np.full(n, 0.025),
        ],
        axis=1,
    )
    destination = np.where(died, DECES, categorical(weights, rng))

    c = people.comorbidity
    anaemia = c["anaemia"][person]
    stay_days = (discharge - admit) / DAY
    p_readmission = sigmoid(
        -2.75 + 0.45 * c["heart_failure"][person] + 0.4 * c["copd"][person] + 0.35 * c["ckd"][person]
        + 0.25 * c["diabetes"][person] + 0.35 * c["cancer"][person] + 0.5 * anaemia
        + 0.012 * (age - 65) + 0.45 * frailty + 0.3 * (stay_days > 10) + 0.3 * _READMIT[reason]
        + 0.35 * (destination == EHPAD) - 0.3 * (destination == SSR) - 0.8 * child
    )  # fmt: skip
    p_readmission = np.where(died, 0.0, p_readmission)
    return {
        **admissions,
        "severity": severity,
        "age": age,
        "discharge": discharge,
        "died": died,
        "icu": icu,
        "deterioration": deterioration,
        "destination": destination.astype(np.int64),
        "p_death": p_death,
        "p_readmission": p_readmission,
        "seg_unit": seg_unit,
        "seg_start": seg_start,
        "seg_end": seg_end,
        "seg_valid": seg_valid,
    }
