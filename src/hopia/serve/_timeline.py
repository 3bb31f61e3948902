"""A person's timeline from the warehouse: stays, care units, key labs and vitals, diagnoses.

Examples
--------
>>> from hopia.warehouse import open_warehouse
>>> patient_timeline(open_warehouse("duckdb://:memory:"), 1)
Traceback (most recent call last):
...
hopia.serve._timeline.UnknownPerson: no person with this identifier
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from hopia.serve._person_query import run_for_person
from hopia.serve.schemas import (
    Diagnosis,
    PersonInfo,
    Point,
    Series,
    Stay,
    Timeline,
    UnitStay,
)
from hopia.warehouse import Warehouse
from hopia.warehouse.vocab import LABS, VITALS

if TYPE_CHECKING:
    import ibis.expr.types as ir

KEY_MEASUREMENTS: dict[str, str] = {code: key for key, code in {**VITALS, **LABS}.items()}
"""``LOINC/…`` code → hopia's short name, for the labs and vitals a patient view shows first."""

MAX_SERIES = 8
MAX_POINTS = 2000
_SEXES = {8507: "male", 8532: "female"}
_DOMAINS = ["visit", "visit_detail", "measurement", "condition", "death"]


class UnknownPerson(LookupError):
    """The warehouse has no person with this identifier."""

    def __init__(self) -> None:
        super().__init__("no person with this identifier")


def _person_row(wh: Warehouse, person_id: int) -> ir.Table:
    person = wh.table("person")
    return (
        person.filter(person.person_id == person_id)
        .select("gender_concept_id", "gender_source_value", "year_of_birth")
        .limit(1)
    )


def _person_events(wh: Warehouse, person_id: int) -> ir.Table:
    events = wh.events()
    return events.filter((events.person_id == person_id) & events.domain.isin(_DOMAINS)).select(
        "time", "end_time", "code", "value", "unit", "domain", "visit_occurrence_id"
    )


def person_info(
    wh: Warehouse, person_id: int, cache: MutableMapping[Any, Any] | None = None
) -> PersonInfo:
    """Sex and year of birth of a person; :class:`UnknownPerson` if absent.

    ``cache`` keeps compiled SQL between calls (one mapping per warehouse version).
    """
    if (cache is None or ("sql", "person") not in cache) and not wh.has_table("person"):
        raise UnknownPerson
    rows = run_for_person(wh, person_id, _person_row, cache=cache, key="person").to_pylist()
    if not rows:
        raise UnknownPerson
    row = rows[0]
    sex = _SEXES.get(row["gender_concept_id"]) or row["gender_source_value"]
    return PersonInfo(person_id=person_id, sex=sex, year_of_birth=row["year_of_birth"])


def concept_names(
    wh: Warehouse, codes: set[str], cache: MutableMapping[Any, Any] | None = None
) -> dict[str, str]:
    """Concept names of ``VOCAB/CODE`` codes (those the concept table knows), cached by code."""
    known: dict[str, str | None] = (
        cache.setdefault("concept_names", {}) if cache is not None else {}
    )
    missing = sorted(code for code in codes if code not in known)
    if missing and wh.has_table("concept"):
        concept = wh.table("concept")
        ref = concept.vocabulary_id.upper() + "/" + concept.concept_code.strip()
        rows = (
            concept.filter(ref.isin(missing))
            .select(code=ref, name=concept.concept_name)
            .to_pyarrow()
            .to_pylist()
        )
        found = {row["code"]: row["name"] for row in rows if row["name"]}
        for code in missing:
            known[code] = found.get(code)
    return {code: name for code in codes if (name := known.get(code))}


def patient_timeline(
    wh: Warehouse, person_id: int, cache: MutableMapping[Any, Any] | None = None
) -> Timeline:
    """Everything the patient view shows, read with one query on the events view.

    Parameters
    ----------
    wh
        The warehouse (read-only is enough).
    person_id
        The person.
    cache
        Keeps compiled SQL and concept names between calls (one mapping per warehouse
        version); ``None`` to start afresh.

    Returns
    -------
    Timeline
        Stays (visit_occurrence), unit stays (visit_detail), up to :data:`MAX_SERIES`
        measurement series (known vitals and labs first), diagnoses, sorted by time.

    Raises
    ------
    UnknownPerson
        When the person is not in the warehouse.
    """
    person = person_info(wh, person_id, cache)
    rows: list[dict[str, Any]] = run_for_person(
        wh, person_id, _person_events, cache=cache, key="timeline"
    ).to_pylist()
    rows.sort(key=lambda r: (r["time"] or dt.datetime.min, r["code"] or ""))
    stays: list[Stay] = []
    units: list[UnitStay] = []
    diagnoses: list[dict[str, Any]] = []
    values: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        domain, time = row["domain"], row["time"]
        if time is None:
            continue
        if domain == "visit":
            stays.append(
                Stay(
                    visit_occurrence_id=row["visit_occurrence_id"],
                    kind=row["code"],
                    start=time,
                    end=row["end_time"],
                )
            )
        elif domain == "visit_detail":
            units.append(
                UnitStay(
                    unit=row["code"].removeprefix("UNIT/"),
                    start=time,
                    end=row["end_time"],
                    visit_occurrence_id=row["visit_occurrence_id"],
                )
            )
        elif domain == "measurement" and row["value"] is not None:
            values[row["code"]].append(row)
        elif domain == "condition":
            diagnoses.append(row)
        elif domain == "death":
            person.death_time = time
    chosen = [code for code in KEY_MEASUREMENTS if code in values]
    if len(chosen) < MAX_SERIES:
        frequent = Counter({code: len(v) for code, v in values.items() if code not in chosen})
        chosen += [code for code, _ in frequent.most_common(MAX_SERIES - len(chosen))]
    chosen = chosen[:MAX_SERIES]
    names = concept_names(wh, set(chosen) | {d["code"] for d in diagnoses}, cache)
    series = []
    for code in chosen:
        points = values[code][-MAX_POINTS:]
        units_seen = Counter(p["unit"] for p in points if p["unit"])
        key = KEY_MEASUREMENTS.get(code)
        series.append(
            Series(
                code=code,
                name=names.get(code) or (key or code),
                key=key,
                unit=units_seen.most_common(1)[0][0] if units_seen else None,
                points=[Point(time=p["time"], value=p["value"]) for p in points],
            )
        )
    return Timeline(
        person=person,
        stays=stays,
        units=units,
        measurements=series,
        diagnoses=[
            Diagnosis(
                code=d["code"],
                name=names.get(d["code"]),
                time=d["time"],
                visit_occurrence_id=d["visit_occurrence_id"],
            )
            for d in diagnoses
        ],
    )
