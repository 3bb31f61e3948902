"""Building blocks shared by labels and features: stays, persons, deaths, care units.

Every function returns a lazy Ibis expression over the warehouse tables, so the same code
runs on DuckDB and Spark. Times are naive timestamps; a column with only a date becomes
midnight of that date and is flagged ``date_only`` where it matters for leakage.

Examples
--------
>>> import pyarrow as pa
>>> from hopia.warehouse import write_warehouse
>>> import tempfile
>>> wh = write_warehouse({"person": pa.table({"person_id": [1], "gender_concept_id": [8532],
...     "year_of_birth": [1950]})}, f"duckdb:///{tempfile.mkdtemp()}/w.duckdb")
>>> persons(wh).execute()[["person_id", "sex"]].to_dict("records")
[{'person_id': 1, 'sex': 'F'}]
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import ibis
import ibis.expr.datatypes as dt

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from hopia.tasks._spec import IcuUnits
    from hopia.warehouse import Warehouse

SECONDS_PER_YEAR = 365.25 * 86400
MALE_CONCEPT, FEMALE_CONCEPT = 8507, 8532
DIED_CONCEPT = 4216643  # discharged_to_concept_id "Patient died"
ER_CONCEPTS = (9203, 8870)  # admitted_from an emergency room


def timestamp_of(table: ir.Table, date_col: str, datetime_col: str) -> ir.TimestampValue:
    """The datetime column, else midnight of the date column."""
    return ibis.coalesce(table[datetime_col].cast(dt.timestamp), table[date_col].cast(dt.timestamp))


def seen_at(
    time: ir.TimestampValue, date_only: ir.BooleanValue, index_time: ir.TimestampValue
) -> ir.BooleanValue:
    """The leakage rule: an event is known at ``index_time`` when it happened at or before it;
    an event with only a date is known only from the next day on (strictly before the index date)."""
    return ibis.ifelse(date_only, time < index_time.truncate("D"), time <= index_time)


def hours_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    """``end - start`` in hours (float), the same on every engine."""
    return (end.epoch_seconds() - start.epoch_seconds()).cast(dt.float64) / 3600.0


def stays(wh: Warehouse) -> ir.Table:
    """One row per visit: ``person_id, visit_occurrence_id, visit_concept_id, start, end,
    start_date_only, discharged_to_concept_id, admitted_from_concept_id, admitted_from_source_value``."""
    visit = wh.table("visit_occurrence")
    return visit.select(
        person_id=visit.person_id.cast(dt.int64),
        visit_occurrence_id=visit.visit_occurrence_id.cast(dt.int64),
        visit_concept_id=visit.visit_concept_id.cast(dt.int64),
        start=timestamp_of(visit, "visit_start_date", "visit_start_datetime"),
        end=timestamp_of(visit, "visit_end_date", "visit_end_datetime"),
        start_date_only=visit.visit_start_datetime.isnull(),
        discharged_to_concept_id=visit.discharged_to_concept_id.cast(dt.int64),
        admitted_from_concept_id=visit.admitted_from_concept_id.cast(dt.int64),
        admitted_from_source_value=visit.admitted_from_source_value.cast(dt.string),
    )


def persons(wh: Warehouse) -> ir.Table:
    """``person_id, birth_time, sex`` (``F``, ``M`` or ``unknown``).

    Birth is ``birth_datetime``, else the 1st of the birth month (January when unknown).
    """
    person = wh.table("person")
    birth = ibis.date(
        person.year_of_birth.cast(dt.int32),
        person.month_of_birth.fill_null(1).cast(dt.int32),
        person.day_of_birth.fill_null(1).cast(dt.int32),
    ).cast(dt.timestamp)
    letter = person.gender_source_value.strip().upper().substr(0, 1)
    sex = ibis.cases(
        (person.gender_concept_id == FEMALE_CONCEPT, "F"),
        (person.gender_concept_id == MALE_CONCEPT, "M"),
        (letter == "F", "F"),
        ((letter == "M") | (letter == "H"), "M"),
        else_="unknown",
    )
    return person.select(
        person_id=person.person_id.cast(dt.int64),
        birth_time=ibis.coalesce(person.birth_datetime.cast(dt.timestamp), birth),
        sex=sex,
    )


def deaths(wh: Warehouse) -> ir.Table:
    """``person_id, death_time, death_day``: the first recorded death of each person.

    A death with only a date is placed at the end of that day (23:59:59), so that a patient
    is alive at every index time of the day they die and the death still counts as an outcome.
    """
    death = wh.table("death")
    day = death.death_date.cast(dt.timestamp)
    time = ibis.coalesce(
        death.death_datetime.cast(dt.timestamp), day + ibis.interval(seconds=86399)
    )
    return death.group_by(person_id=death.person_id.cast(dt.int64)).aggregate(
        death_time=time.min(), death_day=day.min()
    )


def observation_ends(wh: Warehouse) -> ir.Table:
    """``person_id, observation_start, observation_end`` (first start, last end day, as timestamps;
    the end is the last second of the last observed day)."""
    period = wh.table("observation_period")
    return period.group_by(person_id=period.person_id.cast(dt.int64)).aggregate(
        observation_start=period.observation_period_start_date.cast(dt.timestamp).min(),
        observation_end=period.observation_period_end_date.cast(dt.timestamp).max()
        + ibis.interval(seconds=86399),
    )


def care_units(wh: Warehouse, icu: IcuUnits) -> ir.Table:
    """One row per unit stay (``visit_detail``): ``visit_detail_id, person_id,
    visit_occurrence_id, start, date_only, unit, is_icu``.

    ``unit`` is the care site's ``care_site_source_value`` (else its name), null when the row has
    no care site; ``is_icu`` follows the task's ``icu`` settings.
    """
    detail = wh.table("visit_detail")
    site = wh.table("care_site")
    joined = detail.left_join(site, detail.care_site_id == site.care_site_id)
    unit = ibis.coalesce(
        joined.care_site_source_value.strip().nullif(""), joined.care_site_name.strip().nullif("")
    )
    name = ibis.coalesce(unit, joined.visit_detail_source_value.strip().nullif(""), "")
    upper = name.upper()
    is_icu = ibis.literal(False)
    if icu.units:
        is_icu = is_icu | upper.isin([u.upper() for u in icu.units])
    for part in icu.name_contains:
        is_icu = is_icu | upper.contains(part.upper())
    if icu.visit_detail_concepts:
        is_icu = is_icu | joined.visit_detail_concept_id.isin(icu.visit_detail_concepts).fill_null(
            False
        )
    return joined.select(
        visit_detail_id=joined.visit_detail_id.cast(dt.int64),
        person_id=joined.person_id.cast(dt.int64),
        visit_occurrence_id=joined.visit_occurrence_id.cast(dt.int64),
        start=timestamp_of(joined, "visit_detail_start_date", "visit_detail_start_datetime"),
        date_only=joined.visit_detail_start_datetime.isnull(),
        unit=unit,
        is_icu=is_icu.fill_null(False),
    )


def unit_at_index(rows: ir.Table, units: ir.Table, keys: list[str]) -> ir.Table:
    """``keys + [unit]``: the unit of the stay's latest unit entry known at ``index_time``.

    Ties (two entries at the same time) go to the larger ``visit_detail_id``.
    """
    named = units.filter(units.unit.notnull()).select(
        "visit_detail_id",
        detail_visit="visit_occurrence_id",
        unit_start="start",
        unit_date_only="date_only",
        unit="unit",
    )
    left = rows.select(*keys)
    joined = left.inner_join(named, left.visit_occurrence_id == named.detail_visit)
    joined = joined.filter(seen_at(joined.unit_start, joined.unit_date_only, joined.index_time))
    order = ibis.row_number().over(
        group_by=[joined[k] for k in keys],
        order_by=[ibis.desc(joined.unit_start), ibis.desc(joined.visit_detail_id)],
    )
    latest = joined.mutate(rank=order).filter(lambda t: t.rank == 0)
    return latest.select(*keys, "unit")


def age_years(index_time: ir.TimestampValue, birth_time: ir.TimestampValue) -> ir.FloatingValue:
    """Age in years (365.25-day years) at ``index_time``."""
    return (index_time.epoch_seconds() - birth_time.epoch_seconds()).cast(
        dt.float64
    ) / SECONDS_PER_YEAR


def age_band(age: ir.FloatingValue, bands: list[int]) -> ir.StringValue:
    """``<18``, ``18-44``, …, ``80+`` from lower bounds ``[18, 45, 65, 80]``."""
    cases = [(age < bands[0], f"<{bands[0]}")]
    for low, high in itertools.pairwise(bands):
        cases.append((age < high, f"{low}-{high - 1}"))
    return ibis.cases(*cases, else_=f"{bands[-1]}+").cast(dt.string)


def code_matches(code: ir.StringValue, patterns: list[str]) -> ir.BooleanValue:
    """Whether ``code`` matches any pattern: exact, or by prefix when the pattern ends in ``*``."""
    exact = [p for p in patterns if not p.endswith("*")]
    match = code.isin(exact) if exact else ibis.literal(False)
    for pattern in patterns:
        if pattern.endswith("*"):
            match = match | code.startswith(pattern[:-1])
    return match
