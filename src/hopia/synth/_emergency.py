"""The emergency department: triage, waiting times, UHCD, the decision to admit."""

from __future__ import annotations

import numpy as np

from hopia.synth._arrow import DAY, HOUR
from hopia.synth._catalogue import MOTIFS, REASONS, code_index
from hopia.synth._frames import Frame, sigmoid
from hopia.synth._people import People

MINUTE = 60
_REASON_SEVERITY = np.array([r.severity for r in REASONS])
_REASON_ADMIT = np.array([r.p_admit for r in REASONS])
_MOTIF1 = np.array([code_index("MOTIF", r.motif) if r.motif else -1 for r in REASONS])
_MOTIF2 = np.array([code_index("MOTIF", r.motif2) if r.motif2 else -1 for r in REASONS])
_ALL_MOTIFS = np.array([code_index("MOTIF", m) for m in MOTIFS])
# median minutes from triage to the medical decision, by triage level 1…5
_DECISION_MEDIAN = np.array([0, 10, 35, 95, 125, 135], dtype=float)


def emergency_visits(
    arrivals: Frame, people: People, load: np.ndarray, start: int, rng: np.random.Generator
) -> Frame:
    """Add triage, the ED steps, UHCD and admission to ED arrivals.

    ``arrivals`` has ``person``, ``time``, ``reason``, ``outbreak`` and ``forced`` (a
    readmission that the ED will admit). ``load`` is the relative daily volume of the ED:
    busy days and evenings lengthen the waits.
    """
    n = len(arrivals["person"])
    person = arrivals["person"]
    reason = arrivals["reason"]
    age = people.age_at(arrivals["time"], person)
    severity = (
        _REASON_SEVERITY[reason] + 0.25 * people.frailty[person] + 0.08 * np.maximum(age - 60, 0) / 10
        + rng.normal(0, 0.8, n)
    )  # fmt: skip
    level = 5 - np.digitize(severity + rng.normal(0, 0.35, n), [-1.0, -0.2, 0.8, 1.8])
    level = np.clip(level, 1, 5)

    day = np.clip((arrivals["time"] - start) // DAY, 0, len(load) - 1)
    hour = (arrivals["time"] % DAY) / HOUR
    crowding = load[day] / load.mean() * (1 + 0.25 * ((hour > 16) | (hour < 1)))
    triage = arrivals["time"] + (2 + rng.exponential(12 * crowding, n)).astype(np.int64) * MINUTE
    to_decision = _DECISION_MEDIAN[level] * crowding * np.exp(rng.normal(0, 0.5, n)) + 20 * (
        level >= 3
    )
    decision = triage + (5 + to_decision).astype(np.int64) * MINUTE

    logit = np.log(_REASON_ADMIT[reason] + 1e-3) - np.log1p(-_REASON_ADMIT[reason] + 1e-3)
    logit += (
        0.9 * (severity - _REASON_SEVERITY[reason]) + 0.012 * (age - 50) + 0.5 * (level <= 2) - 1.1
    )
    admitted = (rng.random(n) < sigmoid(logit)) | arrivals["forced"]
    boarding = np.where(
        admitted,
        180 * crowding * np.exp(rng.normal(0, 0.6, n)),  # waiting for a bed
        25 * np.exp(rng.normal(0, 0.5, n)),  # discharge paperwork
    )
    uhcd = rng.random(n) < np.where(admitted, 0.06, 0.05 + 0.10 * (age >= 75) + 0.05 * (level <= 3))
    uhcd_start = np.where(
        uhcd, decision + (20 + rng.exponential(40, n)).astype(np.int64) * MINUTE, -1
    )
    uhcd_hours = np.clip(14 * np.exp(rng.normal(0, 0.4, n)), 4, 23.5)
    departure = np.where(
        uhcd,
        uhcd_start + (uhcd_hours * HOUR).astype(np.int64),
        decision + (5 + boarding).astype(np.int64) * MINUTE,
    )
    motif = np.where(
        (_MOTIF2[reason] >= 0) & (rng.random(n) < 0.35), _MOTIF2[reason], _MOTIF1[reason]
    )
    noisy = rng.random(n) < 0.07  # a complaint that does not match the final diagnosis
    motif = np.where(noisy, _ALL_MOTIFS[rng.integers(0, len(_ALL_MOTIFS), n)], motif)
    return {
        **arrivals,
        "severity": severity,
        "triage_level": level.astype(np.int64),
        "triage_time": triage,
        "decision": decision,
        "departure": departure,
        "uhcd_start": uhcd_start,
        "admitted": admitted,
        "motif": motif.astype(np.int32),
    }
