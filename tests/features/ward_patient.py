"""One ward patient whose features are worked out by hand in the feature tests.

Person 1, a woman born 1 Jan 1960, admitted (stay 10, IP) on 10 Mar 2024 08:00; the index time
of the main label row is 12 Mar 2024 08:00. Person 2, a man born 1970, has a single heart
rate so that ``min_persons`` has something to count.

=====================  ======================  =============================================
code                   when                    value / note
=====================  ======================  =============================================
LOINC/8867-4 (HR)      5 Mar 08:00             70  (exactly 7 days before: outside 7d)
                       10 Mar 08:00            100
                       12 Mar 06:00            80
                       12 Mar 07:00            90
                       12 Mar 09:00            150 (after index: never seen)
LOINC/8310-5 (temp)    12 Mar 07:00 (twice)    37.0 and 38.5 (tie: the larger is "last")
LOINC/9279-1 (RR)      12 Mar 08:00            20  (at the index time: seen)
ICD10/I50.9            11 Mar (date only)      seen from 12 Mar on
                       12 Mar (date only)      same day as index: not seen
ICD10/E11.9            1 Jun 2023 (date only)
ATC/C03CA01            11 Mar 20:00, 12 Mar 07:30
VISIT/IP               stay 5, 1 Dec 2023      the current stay 10 is never a feature
UNIT/MED, CARDIO, GER  10 Mar 08:00; 11 Mar 10:00 (two units, same time); REA 12 Mar 08:00
=====================  ======================  =============================================
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

HR, TEMP, RR = "LOINC/8867-4", "LOINC/8310-5", "LOINC/9279-1"
CONCEPTS = {
    1: ("LOINC", "8867-4"),
    2: ("LOINC", "8310-5"),
    3: ("LOINC", "9279-1"),
    4: ("ICD10", "I50.9"),
    5: ("ICD10", "E11.9"),
    6: ("ATC", "C03CA01"),
}
INDEX = dt.datetime(2024, 3, 12, 8)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def measurement(mid: int, pid: int, concept: int, when: str, value: float) -> dict:
    moment = at(when)
    return {
        "measurement_id": mid,
        "person_id": pid,
        "measurement_concept_id": concept,
        "measurement_date": moment.date(),
        "measurement_datetime": moment,
        "value_as_number": value,
        "visit_occurrence_id": 10 if pid == 1 else None,
    }


def ward_tables(*, future: bool = False) -> dict[str, pa.Table]:
    """The patient above; ``future=True`` plants events after the index time."""
    measurements = [
        measurement(1, 1, 1, "2024-03-05 08:00", 70),
        measurement(2, 1, 1, "2024-03-10 08:00", 100),
        measurement(3, 1, 1, "2024-03-12 06:00", 80),
        measurement(4, 1, 1, "2024-03-12 07:00", 90),
        measurement(5, 1, 1, "2024-03-12 09:00", 150),
        measurement(6, 1, 2, "2024-03-12 07:00", 37.0),
        measurement(7, 1, 2, "2024-03-12 07:00", 38.5),
        measurement(8, 1, 3, "2024-03-12 08:00", 20),
        measurement(9, 2, 1, "2024-03-11 08:00", 60),
    ]
    conditions = [
        {"condition_occurrence_id": 1, "person_id": 1, "condition_concept_id": 4, "condition_start_date": dt.date(2024, 3, 11)},
        {"condition_occurrence_id": 2, "person_id": 1, "condition_concept_id": 4, "condition_start_date": dt.date(2024, 3, 12)},
        {"condition_occurrence_id": 3, "person_id": 1, "condition_concept_id": 5, "condition_start_date": dt.date(2023, 6, 1)},
    ]  # fmt: skip
    drugs = [
        {"drug_exposure_id": d, "person_id": 1, "drug_concept_id": 6, "drug_exposure_start_date": t.date(), "drug_exposure_start_datetime": t}
        for d, t in ((1, at("2024-03-11 20:00")), (2, at("2024-03-12 07:30")))
    ]  # fmt: skip
    visits = [
        {"visit_occurrence_id": 5, "person_id": 1, "visit_concept_id": 9201, "visit_start_date": dt.date(2023, 12, 1),
         "visit_start_datetime": at("2023-12-01 08:00"), "visit_end_datetime": at("2023-12-05 12:00")},
        {"visit_occurrence_id": 10, "person_id": 1, "visit_concept_id": 9201, "visit_start_date": dt.date(2024, 3, 10),
         "visit_start_datetime": at("2024-03-10 08:00"), "visit_end_datetime": at("2024-03-20 12:00")},
        {"visit_occurrence_id": 20, "person_id": 2, "visit_concept_id": 9201, "visit_start_date": dt.date(2024, 3, 10),
         "visit_start_datetime": at("2024-03-10 08:00"), "visit_end_datetime": at("2024-03-15 12:00")},
    ]  # fmt: skip
    sites = ["MED", "CARDIO", "GER", "REA"]
    details = [
        (1, 1, "2024-03-10 08:00"),
        (3, 2, "2024-03-11 10:00"),
        (4, 3, "2024-03-11 10:00"),
        (5, 4, "2024-03-12 08:00"),
    ]
    detail_rows = [
        {"visit_detail_id": d, "person_id": 1, "visit_occurrence_id": 10, "care_site_id": site,
         "visit_detail_start_date": at(t).date(), "visit_detail_start_datetime": at(t)}
        for d, site, t in details
    ]  # fmt: skip
    deaths: list[dict] = []
    if future:
        measurements += [
            measurement(20, 1, 1, "2024-03-12 08:00:01", 200),
            measurement(21, 1, 2, "2024-03-13 07:00", 41.0),
            measurement(22, 1, 3, "2024-03-15 07:00", 35),
        ]
        conditions += [
            {"condition_occurrence_id": 20, "person_id": 1, "condition_concept_id": 5, "condition_start_date": dt.date(2024, 3, 12)},
            {"condition_occurrence_id": 21, "person_id": 1, "condition_concept_id": 4, "condition_start_date": dt.date(2024, 3, 14),
             "condition_start_datetime": at("2024-03-14 10:00")},
        ]  # fmt: skip
        drugs += [
            {"drug_exposure_id": 20, "person_id": 1, "drug_concept_id": 6, "drug_exposure_start_date": dt.date(2024, 3, 12),
             "drug_exposure_start_datetime": at("2024-03-12 08:30")},
        ]  # fmt: skip
        visits += [
            {"visit_occurrence_id": 11, "person_id": 1, "visit_concept_id": 262, "visit_start_date": dt.date(2024, 4, 1),
             "visit_start_datetime": at("2024-04-01 08:00"), "visit_end_datetime": at("2024-04-03 12:00")},
        ]  # fmt: skip
        detail_rows += [
            {"visit_detail_id": 9, "person_id": 1, "visit_occurrence_id": 10, "care_site_id": 1,
             "visit_detail_start_date": dt.date(2024, 3, 12), "visit_detail_start_datetime": at("2024-03-12 08:00:01")},
            {"visit_detail_id": 8, "person_id": 1, "visit_occurrence_id": 10, "care_site_id": 2,
             "visit_detail_start_date": dt.date(2024, 3, 12)},
        ]  # fmt: skip
        deaths.append(
            {
                "person_id": 1,
                "death_date": dt.date(2024, 3, 12),
                "death_datetime": at("2024-03-12 23:00"),
            }
        )
    return {
        "person": pa.Table.from_pylist(
            [
                {"person_id": 1, "gender_concept_id": 8532, "year_of_birth": 1960},
                {"person_id": 2, "gender_concept_id": 8507, "year_of_birth": 1970},
            ]
        ),
        "concept": pa.Table.from_pylist(
            [
                {"concept_id": c, "vocabulary_id": v, "concept_code": code}
                for c, (v, code) in CONCEPTS.items()
            ]
        ),
        "measurement": pa.Table.from_pylist(measurements),
        "condition_occurrence": pa.Table.from_pylist(conditions),
        "drug_exposure": pa.Table.from_pylist(drugs),
        "visit_occurrence": pa.Table.from_pylist(visits),
        "care_site": pa.Table.from_pylist(
            [
                {"care_site_id": i + 1, "care_site_source_value": name}
                for i, name in enumerate(sites)
            ]
        ),
        "visit_detail": pa.Table.from_pylist(detail_rows),
        "death": pa.Table.from_pylist(
            deaths,
            schema=pa.schema(
                [
                    ("person_id", pa.int64()),
                    ("death_date", pa.date32()),
                    ("death_datetime", pa.timestamp("us")),
                ]
            ),
        ),
    }
