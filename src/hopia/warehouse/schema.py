"""OMOP CDM 5.4 table definitions kept by the hopia warehouse.

Each table is a tuple of :class:`Column` (name, logical type, required). Logical types are
``int`` (64-bit signed: OMOP ids in real data are hashes and must never pass through
floats), ``float``, ``str``, ``date`` and ``datetime`` (naive local hospital time).

Examples
--------
>>> from hopia.warehouse.schema import OMOP_TABLES, arrow_schema
>>> [c.name for c in OMOP_TABLES["death"]][:3]
['person_id', 'death_date', 'death_datetime']
>>> arrow_schema("person").field("person_id").type
DataType(int64)
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import pyarrow as pa

LogicalType = Literal["int", "float", "str", "date", "datetime"]


class Column(NamedTuple):
    """One column of an OMOP table."""

    name: str
    type: LogicalType
    required: bool = False


def _cols(spec: str) -> tuple[Column, ...]:
    """Parse ``name:type[!]`` words (``!`` marks a required column)."""
    columns = []
    for word in spec.split():
        name, kind = word.split(":")
        required = kind.endswith("!")
        columns.append(Column(name, kind.rstrip("!"), required))  # type: ignore[arg-type]
    return tuple(columns)


OMOP_TABLES: dict[str, tuple[Column, ...]] = {
    "person": _cols(
        "person_id:int! gender_concept_id:int! year_of_birth:int! month_of_birth:int "
        "day_of_birth:int birth_datetime:datetime race_concept_id:int ethnicity_concept_id:int "
        "location_id:int provider_id:int care_site_id:int person_source_value:str "
        "gender_source_value:str gender_source_concept_id:int race_source_value:str "
        "race_source_concept_id:int ethnicity_source_value:str ethnicity_source_concept_id:int"
    ),
    "observation_period": _cols(
        "observation_period_id:int! person_id:int! observation_period_start_date:date! "
        "observation_period_end_date:date! period_type_concept_id:int"
    ),
    "visit_occurrence": _cols(
        "visit_occurrence_id:int! person_id:int! visit_concept_id:int visit_start_date:date! "
        "visit_start_datetime:datetime visit_end_date:date visit_end_datetime:datetime "
        "visit_type_concept_id:int provider_id:int care_site_id:int visit_source_value:str "
        "visit_source_concept_id:int admitted_from_concept_id:int admitted_from_source_value:str "
        "discharged_to_concept_id:int discharged_to_source_value:str preceding_visit_occurrence_id:int"
    ),
    "visit_detail": _cols(
        "visit_detail_id:int! person_id:int! visit_detail_concept_id:int visit_detail_start_date:date! "
        "visit_detail_start_datetime:datetime visit_detail_end_date:date "
        "visit_detail_end_datetime:datetime visit_detail_type_concept_id:int provider_id:int "
        "care_site_id:int visit_detail_source_value:str visit_detail_source_concept_id:int "
        "admitted_from_concept_id:int admitted_from_source_value:str discharged_to_source_value:str "
        "discharged_to_concept_id:int preceding_visit_detail_id:int parent_visit_detail_id:int "
        "visit_occurrence_id:int"
    ),
    "condition_occurrence": _cols(
        "condition_occurrence_id:int! person_id:int! condition_concept_id:int "
        "condition_start_date:date! condition_start_datetime:datetime condition_end_date:date "
        "condition_end_datetime:datetime condition_type_concept_id:int "
        "condition_status_concept_id:int stop_reason:str provider_id:int visit_occurrence_id:int "
        "visit_detail_id:int condition_source_value:str condition_source_concept_id:int "
        "condition_status_source_value:str"
    ),
    "drug_exposure": _cols(
        "drug_exposure_id:int! person_id:int! drug_concept_id:int drug_exposure_start_date:date! "
        "drug_exposure_start_datetime:datetime drug_exposure_end_date:date "
        "drug_exposure_end_datetime:datetime verbatim_end_date:date drug_type_concept_id:int "
        "stop_reason:str refills:int quantity:float days_supply:int sig:str route_concept_id:int "
        "lot_number:str provider_id:int visit_occurrence_id:int visit_detail_id:int "
        "drug_source_value:str drug_source_concept_id:int route_source_value:str "
        "dose_unit_source_value:str"
    ),
    "procedure_occurrence": _cols(
        "procedure_occurrence_id:int! person_id:int! procedure_concept_id:int procedure_date:date! "
        "procedure_datetime:datetime procedure_end_date:date procedure_end_datetime:datetime "
        "procedure_type_concept_id:int modifier_concept_id:int quantity:int provider_id:int "
        "visit_occurrence_id:int visit_detail_id:int procedure_source_value:str "
        "procedure_source_concept_id:int modifier_source_value:str"
    ),
    "measurement": _cols(
        "measurement_id:int! person_id:int! measurement_concept_id:int measurement_date:date! "
        "measurement_datetime:datetime measurement_time:str measurement_type_concept_id:int "
        "operator_concept_id:int value_as_number:float value_as_concept_id:int unit_concept_id:int "
        "range_low:float range_high:float provider_id:int visit_occurrence_id:int "
        "visit_detail_id:int measurement_source_value:str measurement_source_concept_id:int "
        "unit_source_value:str unit_source_concept_id:int value_source_value:str "
        "measurement_event_id:int meas_event_field_concept_id:int"
    ),
    "observation": _cols(
        "observation_id:int! person_id:int! observation_concept_id:int observation_date:date! "
        "observation_datetime:datetime observation_type_concept_id:int value_as_number:float "
        "value_as_string:str value_as_concept_id:int qualifier_concept_id:int unit_concept_id:int "
        "provider_id:int visit_occurrence_id:int visit_detail_id:int observation_source_value:str "
        "observation_source_concept_id:int unit_source_value:str qualifier_source_value:str "
        "value_source_value:str observation_event_id:int obs_event_field_concept_id:int"
    ),
    "death": _cols(
        "person_id:int! death_date:date! death_datetime:datetime death_type_concept_id:int "
        "cause_concept_id:int cause_source_value:str cause_source_concept_id:int"
    ),
    "note": _cols(
        "note_id:int! person_id:int! note_date:date! note_datetime:datetime note_type_concept_id:int "
        "note_class_concept_id:int note_title:str note_text:str encoding_concept_id:int "
        "language_concept_id:int provider_id:int visit_occurrence_id:int visit_detail_id:int "
        "note_source_value:str note_event_id:int note_event_field_concept_id:int"
    ),
    "care_site": _cols(
        "care_site_id:int! care_site_name:str place_of_service_concept_id:int location_id:int "
        "care_site_source_value:str place_of_service_source_value:str"
    ),
    "location": _cols(
        "location_id:int! address_1:str address_2:str city:str state:str zip:str county:str "
        "location_source_value:str country_concept_id:int country_source_value:str "
        "latitude:float longitude:float"
    ),
    "provider": _cols(
        "provider_id:int! provider_name:str npi:str dea:str specialty_concept_id:int care_site_id:int "
        "year_of_birth:int gender_concept_id:int provider_source_value:str "
        "specialty_source_value:str specialty_source_concept_id:int gender_source_value:str "
        "gender_source_concept_id:int"
    ),
    "concept": _cols(
        "concept_id:int! concept_name:str domain_id:str vocabulary_id:str! concept_class_id:str "
        "standard_concept:str concept_code:str! valid_start_date:date valid_end_date:date "
        "invalid_reason:str"
    ),
    "cdm_source": _cols(
        "cdm_source_name:str cdm_source_abbreviation:str cdm_holder:str source_description:str "
        "source_documentation_reference:str cdm_etl_reference:str source_release_date:date "
        "cdm_release_date:date cdm_version:str cdm_version_concept_id:int vocabulary_version:str"
    ),
}
"""The OMOP CDM 5.4 tables hopia keeps, in load order."""

CDM_53_RENAMES: dict[str, dict[str, str]] = {
    "visit_occurrence": {
        "admitting_source_concept_id": "admitted_from_concept_id",
        "admitting_source_value": "admitted_from_source_value",
        "discharge_to_concept_id": "discharged_to_concept_id",
        "discharge_to_source_value": "discharged_to_source_value",
    },
    "visit_detail": {
        "admitting_source_concept_id": "admitted_from_concept_id",
        "admitting_source_value": "admitted_from_source_value",
        "discharge_to_concept_id": "discharged_to_concept_id",
        "discharge_to_source_value": "discharged_to_source_value",
        "visit_detail_parent_id": "parent_visit_detail_id",
    },
}
"""OMOP CDM 5.3 column names that 5.4 renamed (5.3 name → 5.4 name)."""

OTHER_OMOP_TABLES: frozenset[str] = frozenset(
    {
        "condition_era", "drug_era", "dose_era", "episode", "episode_event", "fact_relationship",
        "device_exposure", "specimen", "payer_plan_period", "cost", "note_nlp", "metadata",
        "cohort", "cohort_definition", "cohort_attribute", "attribute_definition",
        "concept_ancestor", "concept_class", "concept_relationship", "concept_synonym", "domain",
        "drug_strength", "relationship", "source_to_concept_map", "vocabulary",
    }
)  # fmt: skip
"""Tables of the OMOP CDM (5.3 or 5.4) that hopia recognises but does not keep."""

_ARROW_TYPES: dict[str, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
}

_SQL_TYPES: dict[str, str] = {
    "int": "BIGINT",
    "float": "DOUBLE",
    "str": "VARCHAR",
    "date": "DATE",
    "datetime": "TIMESTAMP",
}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of an OMOP table, with ``nullable=False`` on required columns."""
    return pa.schema(
        [
            pa.field(c.name, _ARROW_TYPES[c.type], nullable=not c.required)
            for c in OMOP_TABLES[table]
        ]
    )


def sql_type(column: Column) -> str:
    """The SQL type (DuckDB dialect) of a column."""
    return _SQL_TYPES[column.type]


def empty_table(table: str) -> pa.Table:
    """An empty Arrow table with the schema of an OMOP table."""
    return arrow_schema(table).empty_table()
