"""FHIR → OMOP mapping rules, on small hand-written bundles."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from hopia.warehouse._fhir import FIRST_LOCAL_CONCEPT_ID, convert_fhir, fhir_to_omop
from hopia.warehouse._fhir_values import parse_fhir_time, stable_id
from hopia.warehouse.schema import OMOP_TABLES, arrow_schema

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"


def bundle(*resources: dict[str, Any], kind: str = "transaction") -> dict[str, Any]:
    """A Synthea-style bundle: each entry's fullUrl is ``urn:uuid:<id>``."""
    entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def write(folder: Path, name: str, document: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(json.dumps(document))
    return path


def coded(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display or code}]}


PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "gender": "female",
    "birthDate": "1961-03-12",
    "deceasedDateTime": "2020-05-01T23:10:00+02:00",
    "address": [
        {"line": ["1 rue Lionnois"], "city": "Nancy", "postalCode": "54000", "state": "54"}
    ],
    "extension": [
        {
            "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
            "extension": [
                {"url": "ombCategory", "valueCoding": {"code": "2106-3", "display": "White"}}
            ],
        }
    ],
}
ENCOUNTER = {
    "resourceType": "Encounter",
    "id": "e1",
    "class": {"code": "EMER"},
    "subject": {"reference": "urn:uuid:p1"},
    "period": {"start": "2020-04-28T22:15:00-04:00", "end": "2020-04-29T03:00:00-04:00"},
    "serviceProvider": {"reference": "Organization?identifier=https://example.org|chru"},
}


def test_fhir_datetimes_keep_the_wall_clock_time_and_drop_the_offset() -> None:
    assert parse_fhir_time("2011-07-28T06:51:29-04:00")[1] == dt.datetime(2011, 7, 28, 6, 51, 29)
    assert parse_fhir_time("2011-07-28T23:30:00Z")[1] == dt.datetime(2011, 7, 28, 23, 30)
    assert parse_fhir_time("2011-07-28T06:51:29.1234567+14:00")[1] == dt.datetime(
        2011, 7, 28, 6, 51, 29, 123456
    )
    assert parse_fhir_time("2011-07-28") == (dt.date(2011, 7, 28), None)
    assert parse_fhir_time("2011") == (dt.date(2011, 1, 1), None)
    for bad in ("2011-7-28", "2011-02-29", "2011-07-28T25:00:00Z", "28/07/2011", ""):
        with pytest.raises(ValueError):
            parse_fhir_time(bad)


def test_fhir_patient_encounter_and_death(tmp_path: Path) -> None:
    path = write(tmp_path, "b.json", bundle(PATIENT, ENCOUNTER))
    tables = fhir_to_omop([path])
    person = tables["person"].to_pylist()[0]
    assert person["person_id"] == stable_id("Patient/p1")
    assert (person["year_of_birth"], person["month_of_birth"], person["day_of_birth"]) == (
        1961,
        3,
        12,
    )
    assert person["gender_concept_id"] == 8532
    assert person["race_concept_id"] == 8527
    assert person["person_source_value"] == "p1"
    location = tables["location"].to_pylist()[0]
    assert location["location_id"] == person["location_id"]
    assert (location["city"], location["zip"], location["address_1"]) == (
        "Nancy",
        "54000",
        "1 rue Lionnois",
    )
    visit = tables["visit_occurrence"].to_pylist()[0]
    assert visit["visit_concept_id"] == 9203
    assert visit["visit_source_value"] == "EMER"
    assert visit["visit_start_datetime"] == dt.datetime(2020, 4, 28, 22, 15)
    assert visit["visit_end_date"] == dt.date(2020, 4, 29)
    assert visit["care_site_id"] is None  # the organisation is in no loaded bundle
    death = tables["death"].to_pylist()[0]
    assert death["death_datetime"] == dt.datetime(2020, 5, 1, 23, 10)
    period = tables["observation_period"].to_pylist()[0]
    assert (period["observation_period_start_date"], period["observation_period_end_date"]) == (
        dt.date(2020, 4, 28),
        dt.date(2020, 5, 1),
    )


def test_fhir_references_resolve_across_files(tmp_path: Path) -> None:
    org = {
        "resourceType": "Organization",
        "id": "org-1",
        "name": "CHRU de Nancy",
        "identifier": [{"system": "https://example.org", "value": "chru"}],
    }
    condition = {
        "resourceType": "Condition",
        "id": "c1",
        "code": coded(SNOMED, "44054006", "Diabetes mellitus type 2"),
        "subject": {"reference": "Patient/p1"},
        "encounter": {"reference": "Encounter/e1"},
        "onsetDateTime": "2020-04-28T23:00:00+02:00",
        "abatementDateTime": "2020-04-30",
    }
    paths = [
        write(tmp_path, "a_conditions.json", bundle(condition, kind="collection")),
        write(tmp_path, "b_patient.json", bundle(PATIENT, ENCOUNTER)),
        write(tmp_path, "c_hospital.json", bundle(org)),
    ]
    tables = fhir_to_omop(paths)
    row = tables["condition_occurrence"].to_pylist()[0]
    assert row["person_id"] == stable_id("Patient/p1")
    assert row["visit_occurrence_id"] == stable_id("Encounter/e1")
    assert (
        row["condition_end_date"] == dt.date(2020, 4, 30) and row["condition_end_datetime"] is None
    )
    assert tables["visit_occurrence"]["care_site_id"].to_pylist() == [
        stable_id("Organization/org-1")
    ]
    assert tables["care_site"]["care_site_name"].to_pylist() == ["CHRU de Nancy"]
    assert fhir_to_omop(list(reversed(paths)))["condition_occurrence"].equals(
        tables["condition_occurrence"]
    )


def test_fhir_observations_split_into_measurement_and_observation(tmp_path: Path) -> None:
    common = {"subject": {"reference": "urn:uuid:p1"}, "encounter": {"reference": "urn:uuid:e1"},
              "effectiveDateTime": "2020-04-28T22:30:00-04:00", "status": "final"}  # fmt: skip
    resources = [
        PATIENT,
        ENCOUNTER,
        {"resourceType": "Observation", "id": "hr", "code": coded(LOINC, "8867-4"), **common,
         "valueQuantity": {"value": 118, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"},
         "referenceRange": [{"low": {"value": 50}, "high": {"value": 100}}]},
        {"resourceType": "Observation", "id": "bp", "code": coded(LOINC, "55284-4"), **common,
         "component": [
             {"code": coded(LOINC, "8480-6"), "valueQuantity": {"value": 85, "unit": "mm[Hg]"}},
             {"code": coded(LOINC, "8462-4"), "valueQuantity": {"value": 50, "unit": "mm[Hg]"}},
         ]},
        {"resourceType": "Observation", "id": "smoke", "code": coded(LOINC, "72166-2"), **common,
         "valueCodeableConcept": {**coded(SNOMED, "8517006", "Former smoker"), "text": "Former smoker"}},
        {"resourceType": "Observation", "id": "note", "code": coded(LOINC, "8251-1"), **common,
         "valueString": "douleur thoracique"},
        {"resourceType": "Observation", "id": "oops", "code": coded(LOINC, "8310-5"), **common,
         "status": "entered-in-error", "valueQuantity": {"value": 45, "unit": "Cel"}},
    ]  # fmt: skip
    conversion = convert_fhir([write(tmp_path, "b.json", bundle(*resources))])
    tables = conversion.tables
    measurement = tables["measurement"].to_pylist()
    assert [m["measurement_source_value"] for m in measurement] == ["8867-4", "8480-6", "8462-4"]
    assert [m["value_as_number"] for m in measurement] == [118.0, 85.0, 50.0]
    assert measurement[0]["unit_source_value"] == "/min"
    assert (measurement[0]["range_low"], measurement[0]["range_high"]) == (50.0, 100.0)
    assert measurement[1]["measurement_id"] == stable_id("Observation/bp#component/0")
    assert {m["visit_occurrence_id"] for m in measurement} == {stable_id("Encounter/e1")}
    observation = tables["observation"].to_pylist()
    assert [o["value_as_string"] for o in observation] == ["Former smoker", "douleur thoracique"]
    assert observation[0]["value_source_value"] == "8517006"
    assert conversion.skipped == {"Observation (entered-in-error)": 1}
    concepts = {(c["vocabulary_id"], c["concept_code"]): c for c in tables["concept"].to_pylist()}
    assert measurement[0]["measurement_concept_id"] == concepts[("LOINC", "8867-4")]["concept_id"]
    assert observation[0]["value_as_concept_id"] == concepts[("SNOMED", "8517006")]["concept_id"]
    assert measurement[0]["unit_concept_id"] == concepts[("UCUM", "/min")]["concept_id"]


def test_fhir_drugs_procedures_and_ignored_resources(tmp_path: Path) -> None:
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    resources = [
        PATIENT,
        ENCOUNTER,
        {"resourceType": "Medication", "id": "m1", "code": coded(rxnorm, "197361", "Amlodipine 5 MG")},
        {"resourceType": "MedicationRequest", "id": "rx1", "status": "active", "intent": "order",
         "medicationReference": {"reference": "urn:uuid:m1"}, "subject": {"reference": "urn:uuid:p1"},
         "encounter": {"reference": "urn:uuid:e1"}, "authoredOn": "2020-04-29T01:00:00-04:00",
         "dosageInstruction": [{"text": "1 cp le matin"}]},
        {"resourceType": "Immunization", "id": "vax", "status": "completed",
         "vaccineCode": coded("http://hl7.org/fhir/sid/cvx", "140"), "patient": {"reference": "urn:uuid:p1"},
         "occurrenceDateTime": "2019-10-01T09:00:00+02:00"},
        {"resourceType": "Immunization", "id": "no-vax", "status": "not-done",
         "vaccineCode": coded("http://hl7.org/fhir/sid/cvx", "140"), "patient": {"reference": "urn:uuid:p1"},
         "occurrenceDateTime": "2019-10-01T09:00:00+02:00"},
        {"resourceType": "Procedure", "id": "pr1", "status": "completed", "code": coded(SNOMED, "40701008"),
         "subject": {"reference": "urn:uuid:p1"}, "encounter": {"reference": "urn:uuid:e1"},
         "performedDateTime": "2020-04-28T23:00:00-04:00"},
        {"resourceType": "Claim", "id": "cl1"},
        {"resourceType": "Flag", "id": "f1"},
        {"resourceType": "Flag", "id": "f2"},
    ]  # fmt: skip
    conversion = convert_fhir([write(tmp_path, "b.json", bundle(*resources))])
    drugs = conversion.tables["drug_exposure"].to_pylist()
    assert [d["drug_source_value"] for d in drugs] == ["197361", "140"]
    assert drugs[0]["sig"] == "1 cp le matin" and drugs[0]["drug_type_concept_id"] == 32838
    assert drugs[1]["drug_exposure_start_datetime"] == dt.datetime(2019, 10, 1, 9)
    procedure = conversion.tables["procedure_occurrence"].to_pylist()[0]
    assert procedure["procedure_datetime"] == dt.datetime(2020, 4, 28, 23)
    assert conversion.ignored == {"Claim": 1, "Flag": 2}
    assert conversion.skipped == {"Immunization (not-done)": 1}
    vocabularies = {
        (c["vocabulary_id"], c["concept_code"]) for c in conversion.tables["concept"].to_pylist()
    }
    assert {("RxNorm", "197361"), ("CVX", "140"), ("SNOMED", "40701008")} <= vocabularies


def test_fhir_local_concept_ids_follow_sorted_codes(tmp_path: Path) -> None:
    conditions = [
        {"resourceType": "Condition", "id": f"c{i}", "code": coded(system, code), "subject": {"reference": "urn:uuid:p1"},
         "onsetDateTime": "2020-01-01"}
        for i, (system, code) in enumerate([(SNOMED, "B"), ("http://hl7.org/fhir/sid/icd-10", "I21.4"), (SNOMED, "A")])
    ]  # fmt: skip
    tables = fhir_to_omop([write(tmp_path, "b.json", bundle(PATIENT, *conditions))])
    local = [c for c in tables["concept"].to_pylist() if c["concept_id"] >= FIRST_LOCAL_CONCEPT_ID]
    assert [(c["vocabulary_id"], c["concept_code"], c["concept_id"]) for c in local] == [
        ("ICD10", "I21.4", FIRST_LOCAL_CONCEPT_ID),
        ("SNOMED", "A", FIRST_LOCAL_CONCEPT_ID + 1),
        ("SNOMED", "B", FIRST_LOCAL_CONCEPT_ID + 2),
    ]


def test_fhir_duplicate_resources_are_kept_once(tmp_path: Path) -> None:
    path = write(tmp_path, "b.json", bundle(PATIENT, ENCOUNTER))
    seen: list[Path] = []
    conversion = convert_fhir([path, path], on_file=seen.append)
    assert seen == [path, path]
    assert conversion.tables["person"].num_rows == 1
    assert conversion.duplicates == {"Patient": 1, "Encounter": 1}


def test_fhir_tables_have_the_omop_schemas(tmp_path: Path) -> None:
    tables = fhir_to_omop([write(tmp_path, "b.json", bundle(PATIENT, ENCOUNTER))])
    assert list(tables) == list(OMOP_TABLES)
    for name, table in tables.items():
        assert table.schema.equals(arrow_schema(name)), name
        assert isinstance(table, pa.Table)
