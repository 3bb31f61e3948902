"""A tiny hand-made hospital whose labels are worked out by hand in the task tests.

Persons (all visits in 2024; IP = 9201, ERIP = 262, ER = 9203):

==  =====  =============================================================================
p   born   story
==  =====  =============================================================================
1   1950F  stay 11 IP 1 Mar 10:00–5 Mar 12:00; stay 12 ERIP 20 Mar 08:00–25 Mar 10:00
2   1960M  stay 21 IP 10 Jan 09:00–15 Jan 18:00, discharged "died"; death 15 Jan (date only)
3   1970F  stay 31 IP 1 Feb–3 Feb 10:00 discharged to another hospital (8717);
           stay 32 IP 3 Feb 12:00–10 Feb 12:00 (2 h after 31: a transfer)
4   1980M  stay 41 IP 1 May–10 May 12:00; stay 42 ERIP 9 Jun 11:00–15 Jun (29 d 23 h later,
           crosses the 30-day window end)
5   1955F  stay 51 IP 1 May–10 May 12:00; stay 52 ERIP 9 Jun 13:00 (30 d 1 h later: too late)
6   1945M  stay 61 IP 1 Apr–5 Apr 12:00; dies at home 20 Apr 10:00, observation ends 20 Apr
7   1990F  stay 71 IP 10 Dec–12 Dec 12:00; observation ends 31 Dec (short follow-up)
8   1965M  stay 81 IP 1 Jul–3 Jul 12:00; planned stay 82 IP 10 Jul–12 Jul
9   2010F  stay 91 IP 1 Jun–3 Jun (aged 14)
10  1940M  stay 101 IP 1 Aug 08:00–10 Aug 12:00: ward MED until 2 Aug 14:00, then REA
11  1985F  ER visit 111 1 Sep 10:00–14:00, nothing after
12  1975M  ER visit 121 2 Sep 10:00–15:00, then IP stay 122 2 Sep 15:00–5 Sep
13  1992F  ERIP stay 131 3 Sep 10:00–6 Sep
==  =====  =============================================================================

Observation periods run from 2023-01-01 to 2024-12-31 unless stated.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

IP, ERIP, ER = 9201, 262, 9203


def at(text: str) -> dt.datetime:
    """``"03-01 10:00"`` → 2024-03-01 10:00."""
    return dt.datetime.fromisoformat(f"2024-{text}")


def visit(vid: int, pid: int, concept: int, start: str, end: str, **extra: object) -> dict:
    s, e = at(start), at(end)
    return {
        "visit_occurrence_id": vid,
        "person_id": pid,
        "visit_concept_id": concept,
        "visit_start_date": s.date(),
        "visit_start_datetime": s,
        "visit_end_date": e.date(),
        "visit_end_datetime": e,
        **extra,
    }


def tiny_hospital_tables() -> dict[str, pa.Table]:
    people = [
        (1, 8532, 1950), (2, 8507, 1960), (3, 8532, 1970), (4, 8507, 1980), (5, 8532, 1955),
        (6, 8507, 1945), (7, 8532, 1990), (8, 8507, 1965), (9, 8532, 2010), (10, 8507, 1940),
        (11, 8532, 1985), (12, 8507, 1975), (13, 8532, 1992),
    ]  # fmt: skip
    person = pa.Table.from_pylist(
        [{"person_id": p, "gender_concept_id": g, "year_of_birth": y} for p, g, y in people]
    )
    visits = [
        visit(11, 1, IP, "03-01 10:00", "03-05 12:00", discharged_to_concept_id=581476),
        visit(12, 1, ERIP, "03-20 08:00", "03-25 10:00"),
        visit(21, 2, IP, "01-10 09:00", "01-15 18:00", discharged_to_concept_id=4216643),
        visit(31, 3, IP, "02-01 08:00", "02-03 10:00", discharged_to_concept_id=8717),
        visit(32, 3, IP, "02-03 12:00", "02-10 12:00"),
        visit(41, 4, IP, "05-01 08:00", "05-10 12:00"),
        visit(42, 4, ERIP, "06-09 11:00", "06-15 12:00"),
        visit(51, 5, IP, "05-01 08:00", "05-10 12:00"),
        visit(52, 5, ERIP, "06-09 13:00", "06-12 12:00"),
        visit(61, 6, IP, "04-01 08:00", "04-05 12:00"),
        visit(71, 7, IP, "12-10 08:00", "12-12 12:00"),
        visit(81, 8, IP, "07-01 08:00", "07-03 12:00"),
        visit(82, 8, IP, "07-10 08:00", "07-12 12:00"),
        visit(91, 9, IP, "06-01 08:00", "06-03 12:00"),
        visit(101, 10, IP, "08-01 08:00", "08-10 12:00"),
        visit(111, 11, ER, "09-01 10:00", "09-01 14:00"),
        visit(121, 12, ER, "09-02 10:00", "09-02 15:00"),
        visit(122, 12, IP, "09-02 15:00", "09-05 12:00"),
        visit(131, 13, ERIP, "09-03 10:00", "09-06 12:00"),
    ]
    death = pa.Table.from_pylist(
        [
            {"person_id": 2, "death_date": dt.date(2024, 1, 15)},
            {
                "person_id": 6,
                "death_date": dt.date(2024, 4, 20),
                "death_datetime": at("04-20 10:00"),
            },
        ]
    )
    ends = {6: dt.date(2024, 4, 20)}
    periods = pa.Table.from_pylist(
        [
            {
                "observation_period_id": p,
                "person_id": p,
                "observation_period_start_date": dt.date(2023, 1, 1),
                "observation_period_end_date": ends.get(p, dt.date(2024, 12, 31)),
            }
            for p, _, _ in people
        ]
    )
    care_site = pa.Table.from_pylist(
        [
            {"care_site_id": 1, "care_site_name": "Médecine", "care_site_source_value": "MED"},
            {"care_site_id": 2, "care_site_name": "Réanimation", "care_site_source_value": "REA"},
        ]
    )
    detail = pa.Table.from_pylist(
        [
            {
                "visit_detail_id": 1001,
                "person_id": 10,
                "visit_occurrence_id": 101,
                "care_site_id": 1,
                "visit_detail_start_date": dt.date(2024, 8, 1),
                "visit_detail_start_datetime": at("08-01 08:00"),
                "visit_detail_end_datetime": at("08-02 14:00"),
            },
            {
                "visit_detail_id": 1002,
                "person_id": 10,
                "visit_occurrence_id": 101,
                "care_site_id": 2,
                "visit_detail_start_date": dt.date(2024, 8, 2),
                "visit_detail_start_datetime": at("08-02 14:00"),
                "visit_detail_end_datetime": at("08-10 12:00"),
            },
        ]
    )
    return {
        "person": person,
        "visit_occurrence": pa.Table.from_pylist(visits),
        "death": death,
        "observation_period": periods,
        "care_site": care_site,
        "visit_detail": detail,
    }
