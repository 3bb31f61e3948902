"""Bad FHIR input: every file of ``bad_fhir/`` is refused with a message that names the file,
the entry and resource, the field, and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from hopia.errors import InputError
from hopia.warehouse import open_warehouse, write_warehouse
from hopia.warehouse._fhir import fhir_to_omop, sample_fhir_paths

BAD = Path(__file__).parent / "bad_fhir"

EXPECTED: dict[str, tuple[str, ...]] = {
    "broken_json.json": ("line 4", "broken JSON at column 3", "Expecting ',' delimiter"),
    "truncated.json": ("line 7", "broken JSON", "Unterminated string"),
    "not_a_bundle.json": ("field resourceType", "expected a FHIR Bundle", "'Patient'"),
    "json_array.json": ("expected a FHIR Bundle (a JSON object)", "JSON list"),
    "entries_not_list.json": ("field entry", "expected a list of entries"),
    "entry_without_resource.json": (
        "entry 1,",
        "field resource",
        "expected an entry with a resource",
    ),
    "missing_patient.json": (
        "entry 0 (Encounter/enc-1)",
        "field subject",
        "urn:uuid:patient-absent",
        "expected the Patient in the same bundle",
    ),
    "missing_patient_by_id.json": (
        "entry 0 (Condition/cond-1)",
        "field subject",
        "Patient/nobody",
        "no loaded bundle contains",
    ),
    "missing_encounter.json": (
        "(Condition/cond-1)",
        "field encounter",
        "urn:uuid:enc-absent",
        "expected the Encounter",
    ),
    "subject_not_a_patient.json": (
        "(Observation/obs-1)",
        "field subject",
        "expected a reference to a Patient",
    ),
    "bad_date.json": (
        "entry 1 (Encounter/enc-1)",
        "field period.start",
        "expected a date and time that exist",
        "2011-02-30",
    ),
    "bad_date_format.json": (
        "(Observation/obs-1)",
        "field effectiveDateTime",
        "expected a FHIR date or dateTime",
        "'28/07/2011 06:51'",
    ),
    "bad_birth_date.json": ("(Patient/p1)", "field birthDate", "'yesterday'"),
    "patient_without_birth_date.json": ("(Patient/p1)", "field birthDate", "expected a birth date"),
    "observation_without_date.json": (
        "(Observation/obs-1)",
        "field effectiveDateTime",
        "expected a date",
    ),
    "non_numeric_quantity.json": (
        "entry 1 (Observation/obs-1)",
        "field valueQuantity.value",
        "expected a number, got 'high'",
    ),
    "non_numeric_component.json": (
        "(Observation/bp-1)",
        "field component[1].valueQuantity.value",
        "expected a number, got '120/80'",
    ),
    "medication_without_code.json": (
        "(MedicationRequest/rx-1)",
        "field medicationCodeableConcept",
        "expected a medicationCodeableConcept or a medicationReference",
    ),
}


def test_fhir_bad_corpus_is_fully_described() -> None:
    assert sorted(p.name for p in BAD.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fhir_bad_file_is_refused_with_a_clear_message(name: str) -> None:
    path = BAD / name
    with pytest.raises(InputError) as caught:
        fhir_to_omop([path])
    message = str(caught.value)
    assert message.startswith(str(path))
    for fragment in EXPECTED[name]:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_fhir_bad_file_among_good_ones_names_the_bad_file() -> None:
    with pytest.raises(InputError, match=r"non_numeric_quantity\.json, entry 1"):
        fhir_to_omop([*sample_fhir_paths(), BAD / "non_numeric_quantity.json"])


def test_fhir_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        fhir_to_omop([tmp_path / "absent.json"])
    with pytest.raises(InputError, match=r"expected FHIR bundles \(\*\.json\)"):
        fhir_to_omop([tmp_path])


def test_fhir_failed_load_leaves_the_previous_warehouse_intact(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path}/warehouse.duckdb"
    before = write_warehouse(fhir_to_omop(sample_fhir_paths()), url, source="fhir sample")
    counts = before.summary()["tables"]
    before.close()
    with pytest.raises(InputError, match="missing_patient"):
        write_warehouse(fhir_to_omop([BAD / "missing_patient.json"]), url)
    after = open_warehouse(url, read_only=True)
    assert after.summary()["tables"] == counts
    after.close()
