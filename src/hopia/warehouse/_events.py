"""The long ``events`` view: one row per clinical fact, the same on every engine.

Columns: ``person_id, time, end_time, code, value, text_value, unit, domain,
visit_occurrence_id, date_only``. ``code`` is ``VOCAB/CODE``: the standard concept when the
concept table knows it, else the source concept, else the source value (prefixed by the
domain, e.g. ``CONDITION/78791``), else ``OMOP/<concept_id>``. ``date_only`` marks rows whose
table gave only a date: their ``time`` is midnight of that date, so the features stage uses
them only strictly before the index date.

Examples
--------
>>> import pyarrow as pa
>>> from hopia.warehouse import open_warehouse
>>> wh = open_warehouse("duckdb://:memory:")
>>> from hopia.warehouse._store import conform_to_schema
>>> _ = wh.con.create_table("death", conform_to_schema({"person_id": [7], "death_date": [pa.scalar(0, pa.date32())]}, "death"))
>>> wh.events().select("person_id", "code", "domain").execute().to_dict("records")
[{'person_id': 7, 'code': 'DEATH', 'domain': 'death'}]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import ibis.expr.datatypes as dt

from hopia.warehouse.vocab import VISIT_CONCEPTS

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from hopia.warehouse._connection import Warehouse

EVENT_SCHEMA = ibis.schema(
    {
        "person_id": "int64",
        "time": "timestamp",
        "end_time": "timestamp",
        "code": "string",
        "value": "float64",
        "text_value": "string",
        "unit": "string",
        "domain": "string",
        "visit_occurrence_id": "int64",
        "date_only": "boolean",
    }
)


@dataclass(frozen=True)
class _Source:
    """How one OMOP table maps onto the events view."""

    table: str
    domain: str
    concept: str
    source_concept: str | None
    source_value: str | None
    start_date: str
    start_datetime: str | None
    end_date: str | None = None
    end_datetime: str | None = None
    value: str | None = None
    text_value: tuple[str, ...] = ()
    unit_concept: str | None = None
    unit_source: str | None = None


_SOURCES = (
    _Source("condition_occurrence", "condition", "condition_concept_id", "condition_source_concept_id",
            "condition_source_value", "condition_start_date", "condition_start_datetime",
            "condition_end_date", "condition_end_datetime"),
    _Source("drug_exposure", "drug", "drug_concept_id", "drug_source_concept_id", "drug_source_value",
            "drug_exposure_start_date", "drug_exposure_start_datetime", "drug_exposure_end_date",
            "drug_exposure_end_datetime", value="quantity"),
    _Source("procedure_occurrence", "procedure", "procedure_concept_id", "procedure_source_concept_id",
            "procedure_source_value", "procedure_date", "procedure_datetime", "procedure_end_date",
            "procedure_end_datetime"),
    _Source("measurement", "measurement", "measurement_concept_id", "measurement_source_concept_id",
            "measurement_source_value", "measurement_date", "measurement_datetime",
            value="value_as_number", text_value=("value_source_value",),
            unit_concept="unit_concept_id", unit_source="unit_source_value"),
    _Source("observation", "observation", "observation_concept_id", "observation_source_concept_id",
            "observation_source_value", "observation_date", "observation_datetime",
            value="value_as_number", text_value=("value_as_string", "value_source_value"),
            unit_concept="unit_concept_id", unit_source="unit_source_value"),
    _Source("visit_occurrence", "visit", "visit_concept_id", "visit_source_concept_id",
            "visit_source_value", "visit_start_date", "visit_start_datetime", "visit_end_date",
            "visit_end_datetime"),
)  # fmt: skip


def trim_text(expr: ir.StringValue) -> ir.StringValue:
    """Strip white space on every engine.

    Ibis compiles ``.strip()`` for Spark with the characters ``' \\t\\n\\r\\v\\f'`` in a SQL
    literal where Spark reads ``\\v`` as the letter v ("vancomycin" became "ancomycin"); a
    regular expression means the same thing on DuckDB and Spark.
    """
    return expr.re_replace(r"^\s+|\s+$", "")


def concept_codes(wh: Warehouse) -> ir.Table:
    """``(concept_id, concept_ref, concept_name)`` with ``concept_ref`` = ``VOCAB/CODE``."""
    concept = wh.table("concept")
    return concept.select(
        concept_id=concept.concept_id,
        concept_ref=concept.vocabulary_id.upper() + "/" + trim_text(concept.concept_code),
        concept_name=concept.concept_name,
    )


def _timestamp(table: ir.Table, date_col: str, datetime_col: str | None) -> ir.TimestampValue:
    as_midnight = table[date_col].cast(dt.timestamp)
    if datetime_col is None:
        return as_midnight
    return ibis.coalesce(table[datetime_col].cast(dt.timestamp), as_midnight)


def _clinical_events(wh: Warehouse, source: _Source, codes: ir.Table) -> ir.Table:
    table = wh.table(source.table)
    std = codes.select(std_id=codes.concept_id, std_ref=codes.concept_ref)
    table = table.left_join(std, table[source.concept] == std.std_id)
    src_ref = None
    if source.source_concept:
        src = codes.select(src_id=codes.concept_id, src_ref=codes.concept_ref)
        table = table.left_join(src, table[source.source_concept] == src.src_id)
        src_ref = table.src_ref
    unit = ibis.null(dt.string)
    if source.unit_concept:
        units = codes.select(unit_id=codes.concept_id, unit_ref=codes.concept_ref)
        table = table.left_join(units, table[source.unit_concept] == units.unit_id)
        unit_code = table.unit_ref.split("/")[1]
        unit = (
            ibis.coalesce(trim_text(table[source.unit_source]).nullif(""), unit_code)
            if source.unit_source
            else unit_code
        )
    raw = (
        trim_text(table[source.source_value]).nullif("")
        if source.source_value
        else ibis.null(dt.string)
    )
    concept_id = table[source.concept]
    fallback_id = ibis.ifelse(
        concept_id.notnull() & (concept_id != 0), "OMOP/" + concept_id.cast(dt.string), None
    )
    code_parts = [table.std_ref, src_ref, source.domain.upper() + "/" + raw, fallback_id]
    if source.table == "visit_occurrence":
        known = ibis.cases(
            *((concept_id == cid, f"VISIT/{ref}") for cid, ref in VISIT_CONCEPTS.items()),
            else_=None,
        )
        code_parts.insert(1, known)
    code = ibis.coalesce(
        *[part for part in code_parts if part is not None], source.domain.upper() + "/UNKNOWN"
    )
    end_time = (
        _timestamp(table, source.end_date, source.end_datetime)
        if source.end_date
        else ibis.null(dt.timestamp)
    )
    texts = [table[c].cast(dt.string) for c in source.text_value]
    text_value = (
        ibis.coalesce(*texts) if len(texts) > 1 else (texts[0] if texts else ibis.null(dt.string))
    )
    visit_id = table.visit_occurrence_id
    return table.select(
        person_id=table.person_id.cast(dt.int64),
        time=_timestamp(table, source.start_date, source.start_datetime),
        end_time=end_time,
        code=code,
        value=table[source.value].cast(dt.float64) if source.value else ibis.null(dt.float64),
        text_value=text_value,
        unit=unit.cast(dt.string),
        domain=ibis.literal(source.domain),
        visit_occurrence_id=visit_id.cast(dt.int64),
        date_only=table[source.start_datetime].isnull()
        if source.start_datetime
        else ibis.literal(True),
    )


def unit_stays(wh: Warehouse) -> ir.Table:
    """Unit stays (``visit_detail`` with its care site): ``person_id, visit_occurrence_id,
    unit, start, end, date_only``; ``unit`` is the care site's short code, else its name,
    else the visit_detail source value (null when none is known)."""
    detail = wh.table("visit_detail")
    site = wh.table("care_site")
    joined = detail.left_join(site, detail.care_site_id == site.care_site_id)
    unit = ibis.coalesce(
        trim_text(joined.care_site_source_value).nullif(""),
        trim_text(joined.care_site_name).nullif(""),
        trim_text(joined.visit_detail_source_value).nullif(""),
    )
    return joined.select(
        person_id=joined.person_id.cast(dt.int64),
        visit_occurrence_id=joined.visit_occurrence_id.cast(dt.int64),
        unit=unit,
        start=_timestamp(joined, "visit_detail_start_date", "visit_detail_start_datetime"),
        end=_timestamp(joined, "visit_detail_end_date", "visit_detail_end_datetime"),
        date_only=joined.visit_detail_start_datetime.isnull(),
    )


def _unit_events(wh: Warehouse) -> ir.Table:
    stays = unit_stays(wh)
    return stays.select(
        person_id=stays.person_id,
        time=stays.start,
        end_time=stays.end,
        code="UNIT/" + stays.unit.fill_null("UNKNOWN"),
        value=ibis.null(dt.float64),
        text_value=ibis.null(dt.string),
        unit=ibis.null(dt.string),
        domain=ibis.literal("visit_detail"),
        visit_occurrence_id=stays.visit_occurrence_id,
        date_only=stays.date_only,
    )


def _death_events(wh: Warehouse) -> ir.Table:
    death = wh.table("death")
    return death.select(
        person_id=death.person_id.cast(dt.int64),
        time=_timestamp(death, "death_date", "death_datetime"),
        end_time=ibis.null(dt.timestamp),
        code=ibis.literal("DEATH"),
        value=ibis.null(dt.float64),
        text_value=ibis.null(dt.string),
        unit=ibis.null(dt.string),
        domain=ibis.literal("death"),
        visit_occurrence_id=ibis.null(dt.int64),
        date_only=death.death_datetime.isnull(),
    )


def build_events(wh: Warehouse) -> ir.Table:
    """Union of every clinical table of ``wh`` in the events layout (lazy Ibis expression)."""
    parts: list[ir.Table] = []
    has_concepts = wh.has_table("concept")
    codes = concept_codes(wh) if has_concepts else None
    for source in _SOURCES:
        if wh.has_table(source.table) and codes is not None:
            parts.append(_clinical_events(wh, source, codes))
    if wh.has_table("visit_detail") and wh.has_table("care_site"):
        parts.append(_unit_events(wh))
    if wh.has_table("death"):
        parts.append(_death_events(wh))
    if not parts:
        return ibis.memtable(EVENT_SCHEMA.to_pyarrow().empty_table())
    events = parts[0]
    for part in parts[1:]:
        events = events.union(part, distinct=False)
    return events.cast(EVENT_SCHEMA)
