"""From kept contacts to ``visit_occurrence`` and ``visit_detail`` rows with their ids.

Conventions (docs/synth.md): an ED visit is its own ``visit_occurrence`` (9203) with a
``visit_detail`` in URG (and UHCD when the patient stays for observation). An admission from
the ED is a new inpatient ``visit_occurrence`` (9201) that starts when the patient leaves the
ED, with ``preceding_visit_occurrence_id`` = the ED visit; its ``visit_detail`` rows are the
units it goes through (ward → ICU → ward …), chained by ``preceding_visit_detail_id``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hopia.synth._arrow import constant, dates, ints, labels, omop_table, timestamps
from hopia.synth._catalogue import UNIT_INDEX, UNIT_INTENSIVE, concept_id
from hopia.synth._frames import Frame, length
from hopia.synth._inpatient import DESTINATIONS, DOMICILE, HOSPITALISATION
from hopia.synth._stays import DH, ER, IP, OP, SSR_STAY, Stays

EHR = 32817
_VISIT_CONCEPT = np.array(
    [concept_id("Visit", c) for c in ("ER", "IP", "OP", "DH", "SSR")], dtype=np.int64
)
_VISIT_CODES = ("ER", "IP", "OP", "DH", "SSR")
_FROM = ("domicile", "urgences", "hospitalisation", "mutation")
_TO = (*DESTINATIONS, "mutation")
_MUTATION_TO = len(DESTINATIONS)


@dataclass
class VisitIds:
    """Ids given to the kept contacts (row-aligned with the frames of :class:`Stays`)."""

    ed: np.ndarray
    ip: np.ndarray
    ssr: np.ndarray
    ambulatory: np.ndarray
    ed_urg_detail: np.ndarray  # visit_detail_id of the URG row of each ED visit
    ed_uhcd_detail: np.ndarray  # -1 when no UHCD
    ip_detail: np.ndarray  # (n_ip, 3) visit_detail ids of the segments, -1 when absent
    ssr_detail: np.ndarray


def build_visits(stays: Stays, person_id: np.ndarray) -> tuple[pa.Table, pa.Table, VisitIds, Frame]:
    """The ``visit_occurrence`` and ``visit_detail`` tables, the ids, and the detail frame."""
    ed, ip, ssr, amb = stays.ed, stays.ip, stays.ssr, stays.ambulatory
    n_ed, n_ip, n_ssr, n_amb = length(ed), length(ip), length(ssr), length(amb)
    kind = np.concatenate(
        [np.full(n_ed, ER), np.full(n_ip, IP), np.full(n_ssr, SSR_STAY), amb["kind"]]
    )
    person = np.concatenate([ed["person"], ip["person"], ssr["person"], amb["person"]])
    start = np.concatenate([ed["time"], ip["admit"], ssr["start"], amb["start"]])
    end = np.concatenate([ed["departure"], ip["discharge"], ssr["end"], amb["end"]])
    unit = np.concatenate(
        [
            np.full(n_ed, UNIT_INDEX["URG"]),
            ip["seg_unit"][:, 0],
            np.full(n_ssr, UNIT_INDEX["SSR"]),
            amb["unit"],
        ]
    )
    came_from = np.concatenate(
        [
            np.zeros(n_ed, int),
            np.where(ip["ed_row"] >= 0, 1, 0),
            np.full(n_ssr, 2),
            np.zeros(n_amb, int),
        ]
    )
    went_to = np.concatenate(
        [
            np.where(ed["admitted"], HOSPITALISATION, DOMICILE),
            ip["destination"],
            np.full(n_ssr, DOMICILE),
            np.full(n_amb, -1),
        ]
    )
    order = np.lexsort((kind == IP, start, person))  # an ED visit precedes the stay it leads to
    visit_id = np.empty(len(order), np.int64)
    visit_id[order] = np.arange(1, len(order) + 1)
    ids_ed, ids_ip = visit_id[:n_ed], visit_id[n_ed : n_ed + n_ip]
    ids_ssr, ids_amb = visit_id[n_ed + n_ip : n_ed + n_ip + n_ssr], visit_id[n_ed + n_ip + n_ssr :]
    preceding = np.concatenate(
        [np.zeros(n_ed, np.int64), np.where(ip["ed_row"] >= 0, ids_ed[np.maximum(ip["ed_row"], 0)], 0),
         ids_ip[ssr["ip_row"]], np.zeros(n_amb, np.int64)]
    )  # fmt: skip

    # visit_detail: URG (+ UHCD) for ED visits, the unit segments of inpatient stays, SSR
    uhcd = ed["uhcd_start"] >= 0
    seg_valid = ip["seg_valid"]
    d_visit = np.concatenate(
        [ids_ed, ids_ed[uhcd], np.repeat(ids_ip, 3)[seg_valid.ravel()], ids_ssr]
    )
    d_person = np.concatenate(
        [
            ed["person"],
            ed["person"][uhcd],
            np.repeat(ip["person"], 3)[seg_valid.ravel()],
            ssr["person"],
        ]
    )
    d_unit = np.concatenate(
        [np.full(n_ed, UNIT_INDEX["URG"]), np.full(int(uhcd.sum()), UNIT_INDEX["UHCD"]),
         ip["seg_unit"][seg_valid], np.full(n_ssr, UNIT_INDEX["SSR"])]
    )  # fmt: skip
    d_start = np.concatenate(
        [ed["time"], ed["uhcd_start"][uhcd], ip["seg_start"][seg_valid], ssr["start"]]
    )
    d_end = np.concatenate(
        [
            np.where(uhcd, ed["uhcd_start"], ed["departure"]),
            ed["departure"][uhcd],
            ip["seg_end"][seg_valid],
            ssr["end"],
        ]
    )
    d_order = np.lexsort((d_start, d_visit))
    detail_id = np.empty(len(d_order), np.int64)
    detail_id[d_order] = np.arange(1, len(d_order) + 1)
    sorted_visit = d_visit[d_order]
    first_of_visit = np.r_[True, sorted_visit[1:] != sorted_visit[:-1]]
    last_of_visit = np.r_[sorted_visit[1:] != sorted_visit[:-1], True]
    preceding_detail = np.empty(len(d_order), np.int64)
    preceding_detail[d_order] = np.where(first_of_visit, 0, np.r_[0, detail_id[d_order][:-1]])
    is_first = np.empty(len(d_order), bool)
    is_first[d_order] = first_of_visit
    is_last = np.empty(len(d_order), bool)
    is_last[d_order] = last_of_visit

    n_uhcd = int(uhcd.sum())
    ed_urg = detail_id[:n_ed]
    ed_uhcd = np.full(n_ed, -1, np.int64)
    ed_uhcd[uhcd] = detail_id[n_ed : n_ed + n_uhcd]
    ip_detail = np.full((n_ip, 3), -1, np.int64)
    ip_detail[seg_valid] = detail_id[n_ed + n_uhcd : n_ed + n_uhcd + int(seg_valid.sum())]
    ssr_detail = detail_id[len(detail_id) - n_ssr :]

    # per-visit lookups by visit_id (ids are 1..V)
    v_from = np.empty(len(order) + 1, int)
    v_to = np.empty(len(order) + 1, int)
    v_from[visit_id], v_to[visit_id] = came_from, went_to
    d_from = np.where(is_first, v_from[d_visit], len(_FROM) - 1)
    d_to = np.where(is_last, v_to[d_visit], _MUTATION_TO)
    d_to = np.where(d_to < 0, _MUTATION_TO, d_to)

    n_v, n_d = len(order), len(d_order)
    visits = omop_table(
        "visit_occurrence",
        {
            "visit_occurrence_id": ints(visit_id),
            "person_id": ints(person_id[person]),
            "visit_concept_id": ints(_VISIT_CONCEPT[kind]),
            "visit_start_date": dates(start),
            "visit_start_datetime": timestamps(start),
            "visit_end_date": dates(end),
            "visit_end_datetime": timestamps(end),
            "visit_type_concept_id": constant(EHR, n_v, pa.int64()),
            "care_site_id": ints(unit + 1),
            "visit_source_value": labels(kind, _VISIT_CODES),
            "admitted_from_source_value": labels(
                came_from, _FROM, valid=(kind == ER) | (kind == IP) | (kind == SSR_STAY)
            ),
            "discharged_to_source_value": labels(np.maximum(went_to, 0), _TO, valid=went_to >= 0),
            "preceding_visit_occurrence_id": ints(preceding, valid=preceding > 0),
        },
        n_v,
    ).take(pa.array(order))
    intensive = UNIT_INTENSIVE[d_unit]
    d_kind_concept = np.where(d_unit == UNIT_INDEX["URG"], 9203, np.where(intensive, 32037, 9201))
    details = omop_table(
        "visit_detail",
        {
            "visit_detail_id": ints(detail_id),
            "person_id": ints(person_id[d_person]),
            "visit_detail_concept_id": ints(d_kind_concept),
            "visit_detail_start_date": dates(d_start),
            "visit_detail_start_datetime": timestamps(d_start),
            "visit_detail_end_date": dates(d_end),
            "visit_detail_end_datetime": timestamps(d_end),
            "visit_detail_type_concept_id": constant(EHR, n_d, pa.int64()),
            "care_site_id": ints(d_unit + 1),
            "visit_detail_source_value": labels(d_unit, [u for u in UNIT_INDEX]),
            "admitted_from_source_value": labels(d_from, _FROM),
            "discharged_to_source_value": labels(d_to, _TO),
            "preceding_visit_detail_id": ints(preceding_detail, valid=preceding_detail > 0),
            "visit_occurrence_id": ints(d_visit),
        },
        n_d,
    ).take(pa.array(d_order))
    ids = VisitIds(ids_ed, ids_ip, ids_ssr, ids_amb, ed_urg, ed_uhcd, ip_detail, ssr_detail)
    detail_frame = {
        "visit": d_visit,
        "person": d_person,
        "unit": d_unit,
        "start": d_start,
        "end": d_end,
        "id": detail_id,
    }
    return visits, details, ids, detail_frame


__all__ = ["DH", "OP", "VisitIds", "build_visits"]
