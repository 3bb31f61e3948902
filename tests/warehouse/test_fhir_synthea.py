"""The 32 Synthea FHIR R4 bundles of ``../shared/data/external/synthea-fhir-r4-smart`` and
the sample shipped with hopia, loaded into OMOP; counts are recomputed from the JSON."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from hopia.warehouse import write_warehouse
from hopia.warehouse._fhir import FhirConversion, convert_fhir, fhir_to_omop, sample_fhir_paths
from hopia.warehouse.schema import OMOP_TABLES, arrow_schema

CLINICAL = (
    "visit_occurrence", "condition_occurrence", "drug_exposure", "procedure_occurrence",
    "measurement", "observation",
)  # fmt: skip


def source_counts(folder: Path) -> tuple[Counter[str], int]:
    """Resources per type (unique by type/id) and observation rows (a panel counts its components)."""
    seen: set[str] = set()
    kinds: Counter[str] = Counter()
    observation_rows = 0
    for path in sorted(folder.glob("*.json")):
        for entry in json.loads(path.read_text())["entry"]:
            resource = entry["resource"]
            key = f"{resource['resourceType']}/{resource['id']}"
            if key in seen:
                continue
            seen.add(key)
            kinds[resource["resourceType"]] += 1
            if resource["resourceType"] == "Observation":
                observation_rows += len(resource.get("component", [])) or 1
    return kinds, observation_rows


@pytest.fixture(scope="module")
def synthea(external: Path) -> Path:
    return external / "synthea-fhir-r4-smart"


@pytest.fixture(scope="module")
def conversion(synthea: Path) -> FhirConversion:
    return convert_fhir([synthea])


def test_fhir_synthea_row_counts_equal_the_source(
    synthea: Path, conversion: FhirConversion
) -> None:
    kinds, observation_rows = source_counts(synthea)
    tables = conversion.tables
    assert conversion.files == 32
    assert tables["person"].num_rows == kinds["Patient"] == 30
    assert tables["visit_occurrence"].num_rows == kinds["Encounter"] == 263
    assert tables["condition_occurrence"].num_rows == kinds["Condition"] == 84
    assert tables["procedure_occurrence"].num_rows == kinds["Procedure"] == 75
    drug_vocabularies = Counter(_vocabularies(tables, "drug_exposure", "drug_concept_id"))
    assert drug_vocabularies == {"RxNorm": kinds["MedicationRequest"], "CVX": kinds["Immunization"]}
    assert kinds["MedicationRequest"] == 59
    assert (
        tables["measurement"].num_rows + tables["observation"].num_rows == observation_rows == 1757
    )
    assert tables["care_site"].num_rows == kinds["Organization"]
    assert tables["provider"].num_rows == kinds["Practitioner"]
    assert tables["observation_period"].num_rows == 30
    assert tables["death"].num_rows == 0  # SOURCES.md: none of them is deceased
    assert conversion.ignored["Claim"] == 322 and conversion.ignored["DiagnosticReport"] == 87
    assert conversion.duplicates == {"Organization": 35, "Practitioner": 35}


def _vocabularies(tables: dict[str, pa.Table], table: str, column: str) -> list[str]:
    concept = tables["concept"]
    vocabulary = dict(
        zip(concept["concept_id"].to_pylist(), concept["vocabulary_id"].to_pylist(), strict=True)
    )
    return [vocabulary[cid] for cid in tables[table][column].to_pylist()]


def test_fhir_synthea_links_resolve(conversion: FhirConversion) -> None:
    tables = conversion.tables
    persons = tables["person"]["person_id"]
    visits = tables["visit_occurrence"]["visit_occurrence_id"]
    for name in (*CLINICAL, "observation_period"):
        person_ids = tables[name]["person_id"]
        assert person_ids.null_count == 0, name
        assert pc.all(pc.is_in(person_ids, value_set=persons)).as_py(), name
    for name in CLINICAL[1:]:
        visit_ids = tables[name]["visit_occurrence_id"]
        assert visit_ids.null_count == 0, name  # every Synthea resource names its encounter
        assert pc.all(pc.is_in(visit_ids, value_set=visits)).as_py(), name
    for name, column, target in [
        ("visit_occurrence", "care_site_id", ("care_site", "care_site_id")),
        ("visit_occurrence", "provider_id", ("provider", "provider_id")),
        ("person", "location_id", ("location", "location_id")),
        ("care_site", "location_id", ("location", "location_id")),
    ]:
        ids = tables[name][column]
        assert ids.null_count == 0, (name, column)
        assert pc.all(pc.is_in(ids, value_set=tables[target[0]][target[1]])).as_py(), (name, column)


def test_fhir_synthea_codes_are_concepts(conversion: FhirConversion) -> None:
    tables = conversion.tables
    concept_ids = tables["concept"]["concept_id"]
    assert pc.count_distinct(concept_ids).as_py() == len(concept_ids)
    for name, column, vocabulary in [
        ("condition_occurrence", "condition_concept_id", {"SNOMED"}),
        ("procedure_occurrence", "procedure_concept_id", {"SNOMED"}),
        ("measurement", "measurement_concept_id", {"LOINC"}),
        ("observation", "observation_concept_id", {"LOINC"}),
        ("measurement", "unit_concept_id", {"UCUM"}),
    ]:
        assert set(_vocabularies(tables, name, column)) == vocabulary, (name, column)
    for table in CLINICAL:
        assert tables[table].column(1).null_count == 0


def test_fhir_synthea_schemas_and_required_columns(conversion: FhirConversion) -> None:
    assert list(conversion.tables) == list(OMOP_TABLES)
    for name, table in conversion.tables.items():
        assert table.schema.equals(arrow_schema(name)), name
        for column in OMOP_TABLES[name]:
            if column.required:
                assert table[column.name].null_count == 0, (name, column.name)


def test_fhir_synthea_is_deterministic(synthea: Path, conversion: FhirConversion) -> None:
    files = sorted(synthea.glob("*.json"))
    again = fhir_to_omop(list(reversed(files)))
    for name, table in conversion.tables.items():
        key = table.column_names[0]
        assert again[name].sort_by(key).equals(table.sort_by(key)), name


def test_fhir_synthea_events_cover_every_clinical_row(
    tmp_path: Path, conversion: FhirConversion
) -> None:
    wh = write_warehouse(
        conversion.tables, f"duckdb:///{tmp_path}/fhir.duckdb", source="synthea fhir"
    )
    events = wh.events().execute()
    by_domain = events.groupby("domain").size().to_dict()
    assert by_domain == {
        "visit": 263,
        "condition": 84,
        "drug": 331,
        "procedure": 75,
        "measurement": conversion.tables["measurement"].num_rows,
        "observation": conversion.tables["observation"].num_rows,
    }
    vocabularies = set(events["code"].str.split("/").str[0])
    assert vocabularies == {"VISIT", "SNOMED", "LOINC", "RXNORM", "CVX"}
    assert {"VISIT/OP", "VISIT/ER", "VISIT/IP", "LOINC/8480-6", "LOINC/8462-4"} <= set(
        events["code"]
    )
    assert not events["date_only"].any()
    wh.close()


def test_fhir_sample_data_ships_with_its_notice() -> None:
    paths = sample_fhir_paths()
    assert len(paths) == 7
    assert sum(p.stat().st_size for p in paths) < 3_000_000
    notice = (paths[0].parent / "NOTICE.txt").read_text()
    assert "Apache License 2.0" in notice and "Boston Children's Hospital" in notice
    tables = fhir_to_omop(paths)
    assert tables["person"].num_rows == 5
    assert tables["care_site"].num_rows > 0 and tables["provider"].num_rows > 0
