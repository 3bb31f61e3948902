"""Planted pathway delays: late brain imaging in stroke, late antibiotics in sepsis (ED).

The reference pathways shipped with :mod:`hopia.pathways` time two steps of ED stays:
brain imaging within 60 minutes of arrival for a stroke (``stroke.yaml``) and antibiotics
within 60 minutes of triage for a sepsis (``sepsis.yaml``). For every ED visit whose reason
is a stroke (I63.9) or a sepsis (A41.9), the step is timed from its reference (arrival or
triage): within 10–50 minutes, except for a planted share (:data:`LATE_SHARE`, among the
visits still in the ED long enough) where it comes 65–240 minutes after it. The delays are
whole minutes, so "late" (over 60 minutes) is never a matter of rounding; every step happens
at least 5 minutes before the patient leaves the ED.

The truth goes to ``synth_truth.pathway_delays``: one row per timed ED visit.

Examples
--------
>>> import numpy as np
>>> from hopia.synth._catalogue import REASON_INDEX
>>> ed = {"reason": np.array([REASON_INDEX["avc"]] * 4), "time": np.zeros(4, np.int64),
...       "triage_time": np.full(4, 600), "departure": np.full(4, 6 * 3600)}
>>> planned = plan_pathway_delays(ed, np.random.default_rng(1))
>>> bool((planned["brain_imaging"] > 0).all()), bool((planned["antibiotics"] == -1).all())
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hopia.synth._arrow import ints
from hopia.synth._catalogue import REASON_INDEX
from hopia.synth._frames import Frame, length

MINUTE = 60
LATE_SHARE = 0.25
"""Share of the timed ED visits whose step is planted late (when the ED stay allows it)."""
TARGET_MINUTES = 60
ON_TIME_MINUTES = (10, 50)
LATE_MINUTES = (65, 240)
_BEFORE_DEPARTURE = 5 * MINUTE


@dataclass(frozen=True)
class TimedStep:
    """A step of a reference pathway that the generator times for one ED reason."""

    pathway: str
    step: str
    reference_step: str
    reason: str
    reference: str  # the ED frame column the delay counts from


TIMED_STEPS = (
    TimedStep("stroke", "brain_imaging", "ed_arrival", "avc", "time"),
    TimedStep("sepsis", "antibiotics", "triage", "sepsis", "triage_time"),
)


def plan_pathway_delays(ed: Frame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """When each ED visit's timed step happens (seconds), ``-1`` where it is not timed.

    Returns
    -------
    dict
        ``{step: times}`` for each step of :data:`TIMED_STEPS` (one value per ED row), and
        ``planted_<step>`` (bool) marking the visits planted late.
    """
    n = length(ed)
    planned: dict[str, np.ndarray] = {}
    for timed in TIMED_STEPS:
        chosen = ed["reason"] == REASON_INDEX[timed.reason]
        reference = ed[timed.reference]
        room = (ed["departure"] - _BEFORE_DEPARTURE - reference) // MINUTE
        draw_late = rng.random(n) < LATE_SHARE
        u = rng.random(n)
        planted = chosen & draw_late & (room >= LATE_MINUTES[0])
        low, high = LATE_MINUTES
        late = low + np.floor(u * (np.clip(room, low, high) - low + 1)).astype(np.int64)
        low, high = ON_TIME_MINUTES
        on_time = low + np.floor(u * (high - low + 1)).astype(np.int64)
        minutes = np.where(planted, late, np.clip(on_time, 1, np.maximum(room, 1)))
        planned[timed.step] = np.where(chosen, reference + minutes * MINUTE, -1)
        planned[f"planted_{timed.step}"] = planted
    return planned


def pathway_delay_truth(
    ed: Frame, planned: dict[str, np.ndarray], visit_id: np.ndarray, person_id: np.ndarray
) -> pa.Table:
    """``synth_truth.pathway_delays``: one row per timed ED visit.

    Columns: ``visit_occurrence_id`` (the ED visit, which is also the stay's case id in
    ``hopia pathways log``), ``person_id``, ``pathway``, ``step``, ``reference_step``,
    ``target_minutes``, ``delay_minutes`` and ``late`` (planted: delay over the target).
    """
    parts: dict[str, list[np.ndarray]] = {name: [] for name in ("row", "delay", "late", "kind")}
    for index, timed in enumerate(TIMED_STEPS):
        rows = np.flatnonzero(planned[timed.step] >= 0)
        parts["row"].append(rows)
        parts["delay"].append((planned[timed.step][rows] - ed[timed.reference][rows]) // MINUTE)
        parts["late"].append(planned[f"planted_{timed.step}"][rows])
        parts["kind"].append(np.full(len(rows), index))
    row, delay, late, kind = (
        np.concatenate(parts[name]) for name in ("row", "delay", "late", "kind")
    )
    order = np.lexsort((kind, visit_id[row]))
    row, delay, late, kind = row[order], delay[order], late[order], kind[order]

    def text(field: str) -> pa.Array:
        return pa.array([getattr(TIMED_STEPS[k], field) for k in kind], pa.string())

    return pa.table(
        {
            "visit_occurrence_id": ints(visit_id[row]),
            "person_id": ints(person_id[ed["person"][row]]),
            "pathway": text("pathway"),
            "step": text("step"),
            "reference_step": text("reference_step"),
            "target_minutes": ints(np.full(len(row), TARGET_MINUTES)),
            "delay_minutes": ints(delay),
            "late": pa.array(late, pa.bool_()),
        }
    )
