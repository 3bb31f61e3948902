"""Load FHIR R4 bundles (Synthea style) into OMOP CDM 5.4 tables.

Each file is one FHIR ``Bundle`` (``transaction``, ``batch``, ``collection``…), read with
:mod:`json` one file at a time; its resources become rows (see
:mod:`hopia.warehouse._fhir_people` and :mod:`hopia.warehouse._fhir_clinical` for the
mapping) gathered as column lists and turned
into Arrow tables once, at the end.

- Ids: every OMOP id is a stable 63-bit hash of the FHIR resource (``Patient/<id>`` → the
  ``person_id``), so ids do not depend on file order and repeat across runs. Concept ids are
  local (≥ 2,000,000,001), given in sorted order of ``(vocabulary_id, code)`` of the codes used.
- Times: the UTC offset is dropped and the wall-clock time kept (naive local times).
- References: ``urn:uuid:`` references are resolved within their bundle; ``Type/id`` and
  conditional (``Type?identifier=system|value``) references across every file loaded.
  A subject or encounter that no file holds is an error; an unknown practitioner or
  organization becomes null.
- The same resource in several files (e.g. an Organization in each patient bundle and in the
  shared ``hospitalInformation`` bundle) is kept once: the first one read.
- Resource types without an OMOP home (Claim, ExplanationOfBenefit, DiagnosticReport…)
  are ignored and counted.

Examples
--------
>>> tables = fhir_to_omop(sample_fhir_paths())
>>> tables["person"].num_rows
5
>>> sorted(tables)[:3]
['care_site', 'cdm_source', 'concept']
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from hopia.errors import InputError
from hopia.warehouse._fhir_clinical import (
    map_condition,
    map_encounter,
    map_immunization,
    map_medication_request,
    map_observation,
    map_procedure,
)
from hopia.warehouse._fhir_people import map_organization, map_patient, map_practitioner
from hopia.warehouse._fhir_rows import BUILT_TABLES, EHR, BundleIndex, OmopRows
from hopia.warehouse._fhir_values import Where, stable_id
from hopia.warehouse.schema import OMOP_TABLES, arrow_schema, empty_table
from hopia.warehouse.vocab import VISIT_CONCEPTS

FIRST_LOCAL_CONCEPT_ID = 2_000_000_001

_STANDARD_CONCEPTS: tuple[tuple[int, str, str, str, str], ...] = (
    (9201, "Inpatient Visit", "Visit", "Visit", VISIT_CONCEPTS[9201]),
    (9202, "Outpatient Visit", "Visit", "Visit", VISIT_CONCEPTS[9202]),
    (9203, "Emergency Room Visit", "Visit", "Visit", VISIT_CONCEPTS[9203]),
    (8507, "MALE", "Gender", "Gender", "M"),
    (8532, "FEMALE", "Gender", "Gender", "F"),
    (8657, "American Indian or Alaska Native", "Race", "Race", "1"),
    (8515, "Asian", "Race", "Race", "2"),
    (8516, "Black or African American", "Race", "Race", "3"),
    (8557, "Native Hawaiian or Other Pacific Islander", "Race", "Race", "4"),
    (8527, "White", "Race", "Race", "5"),
    (38003563, "Hispanic or Latino", "Ethnicity", "Ethnicity", "Hispanic"),
    (38003564, "Not Hispanic or Latino", "Ethnicity", "Ethnicity", "Not Hispanic"),
)
"""Standard OMOP concepts the loader writes ids of: (id, name, domain, vocabulary, code)."""

_CHECKED_REF_COLUMNS = frozenset({"person_id", "visit_occurrence_id"})
_REF_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": ("provider_id", "care_site_id"),
    "visit_occurrence": ("person_id", "provider_id", "care_site_id"),
    "condition_occurrence": ("person_id", "provider_id", "visit_occurrence_id"),
    "drug_exposure": ("person_id", "provider_id", "visit_occurrence_id"),
    "procedure_occurrence": ("person_id", "provider_id", "visit_occurrence_id"),
    "measurement": ("person_id", "provider_id", "visit_occurrence_id"),
    "observation": ("person_id", "provider_id", "visit_occurrence_id"),
    "death": ("person_id",),
}
"""Columns that hold reference keys until every file has been read."""

_PERIOD_DATES: dict[str, tuple[str, ...]] = {
    "visit_occurrence": ("visit_start_date", "visit_end_date"),
    "condition_occurrence": ("condition_start_date", "condition_end_date"),
    "drug_exposure": ("drug_exposure_start_date", "drug_exposure_end_date"),
    "procedure_occurrence": ("procedure_date", "procedure_end_date"),
    "measurement": ("measurement_date",),
    "observation": ("observation_date",),
    "death": ("death_date",),
}
"""Dates that an observation period spans."""

_PERSON_DATE = pa.schema([pa.field("person_id", pa.int64()), pa.field("date", pa.date32())])


@dataclass
class FhirConversion:
    """OMOP tables made from FHIR bundles, with counts of what was read.

    Attributes
    ----------
    tables
        OMOP table name → Arrow table with the schema of ``schema.arrow_schema(name)``.
    files
        Number of bundle files read.
    mapped
        Resource type → number of resources mapped to OMOP rows.
    ignored
        Resource type → number of resources with no OMOP home (not loaded).
    duplicates
        Resource type → number of resources already read from an earlier file (kept once).
    skipped
        Reason → number of resources skipped (entered-in-error, not-done, refuted…).
    """

    tables: dict[str, pa.Table]
    files: int = 0
    mapped: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)


def convert_fhir(
    paths: Sequence[Path | str], *, on_file: Callable[[Path], None] | None = None
) -> FhirConversion:
    """Read FHIR R4 bundles and map them to OMOP tables, with counts of what was read.

    Parameters
    ----------
    paths
        Bundle files (``.json``), or folders whose ``*.json`` files are read in name order.
    on_file
        Called with each file once it has been read (e.g. to advance a progress bar).

    Returns
    -------
    FhirConversion
        The tables and the counts of mapped, ignored, duplicate and skipped resources.

    Raises
    ------
    InputError
        Broken JSON (with line and column), a file that is not a Bundle, a resource whose
        subject or encounter is absent, a date that does not parse, a non-numeric
        ``valueQuantity``… The message names the file, the entry and resource, and the field.

    Examples
    --------
    >>> conversion = convert_fhir(sample_fhir_paths())
    >>> conversion.ignored["Claim"] > 0, conversion.mapped["Patient"]
    (True, 5)
    """
    rows = OmopRows()
    ignored: Counter[str] = Counter()
    duplicates: Counter[str] = Counter()
    files = _bundle_files(paths)
    for path in files:
        _read_bundle(path, rows, ignored, duplicates)
        if on_file is not None:
            on_file(path)
    tables = _finish(rows, files, ignored)
    return FhirConversion(
        tables=tables,
        files=len(files),
        mapped=rows.mapped,
        ignored=ignored,
        duplicates=duplicates,
        skipped=rows.skipped,
    )


def fhir_to_omop(paths: Sequence[Path | str]) -> dict[str, pa.Table]:
    """Map FHIR R4 bundles to OMOP CDM 5.4 Arrow tables (every table of ``OMOP_TABLES``).

    Parameters
    ----------
    paths
        Bundle files, or folders of ``*.json`` bundles.

    Returns
    -------
    dict of str to pyarrow.Table
        OMOP table name → table with the schema of ``schema.arrow_schema(name)``.

    Examples
    --------
    >>> tables = fhir_to_omop(sample_fhir_paths())
    >>> tables["visit_occurrence"].schema.field("visit_occurrence_id").type
    DataType(int64)
    """
    return convert_fhir(paths).tables


def sample_fhir_paths() -> list[Path]:
    """The Synthea FHIR R4 sample bundles shipped with hopia (5 patients + 2 shared bundles).

    Apache License 2.0, from smart-on-fhir/generated-sample-data (see ``NOTICE.txt`` beside them).

    Examples
    --------
    >>> len(sample_fhir_paths())
    7
    """
    folder = Path(str(resources.files("hopia") / "data" / "synthea"))
    return sorted(folder.glob("*.json"))


# -- reading -------------------------------------------------------------------------------
def _bundle_files(paths: Iterable[Path | str]) -> list[Path]:
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = sorted(path.glob("*.json"))
            if not found:
                raise InputError(
                    str(path), "expected FHIR bundles (*.json) in this folder; found none"
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(str(path), "no such file or folder")
    return files


def _read_bundle(
    path: Path, rows: OmopRows, ignored: Counter[str], duplicates: Counter[str]
) -> None:
    """Map the resources of one bundle file into ``rows``."""
    name = str(path)
    try:
        bundle = json.loads(path.read_bytes())
    except json.JSONDecodeError as error:
        raise InputError(
            name, f"broken JSON at column {error.colno}: {error.msg}", line=error.lineno
        ) from None
    except UnicodeDecodeError as error:
        raise InputError(
            name, f"expected UTF-8 JSON text: {error.reason} at byte {error.start}"
        ) from None
    if not isinstance(bundle, dict):
        raise InputError(
            name, f"expected a FHIR Bundle (a JSON object), got a JSON {type(bundle).__name__}"
        )
    if bundle.get("resourceType") != "Bundle":
        raise InputError(
            name,
            f"expected a FHIR Bundle, got resourceType {bundle.get('resourceType')!r}",
            field="resourceType",
        )
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise InputError(name, "expected a list of entries", field="entry")
    bundle_index = BundleIndex(name)
    resources_read: list[tuple[Where, dict[str, Any]]] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise Where(name, index).error("resource", "expected an entry with a resource object")
        kind = resource.get("resourceType")
        if not isinstance(kind, str) or not kind:
            raise Where(name, index).error("resourceType", "expected a resource type")
        full_url = entry.get("fullUrl")
        rid = resource.get("id")
        if not isinstance(rid, str) or not rid:
            if not isinstance(full_url, str) or not full_url:
                raise Where(name, index, kind).error(
                    "id", "expected a resource id or an entry fullUrl"
                )
            rid = full_url.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        key = f"{kind}/{rid}"
        if isinstance(full_url, str) and full_url:
            bundle_index.full_urls[full_url] = key
        if kind == "Medication":
            bundle_index.medications[key] = resource
        resources_read.append((Where(name, index, kind, rid), resource))
    for where, resource in resources_read:
        handler = _HANDLERS.get(where.kind)
        if handler is None:
            if where.kind != "Medication":
                ignored[where.kind] += 1
            continue
        key = f"{where.kind}/{where.rid}"
        if key in rows.loaded:
            duplicates[where.kind] += 1
            continue
        rows.loaded.add(key)
        _index_identifiers(resource, key, rows.identifiers)
        handler(rows, resource, where, bundle_index)
        rows.mapped[where.kind] += 1


def _index_identifiers(resource: dict[str, Any], key: str, index: dict[str, str]) -> None:
    kind = key.split("/", 1)[0]
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("value"):
            index.setdefault(
                f"{kind}?identifier={identifier.get('system', '')}|{identifier['value']}", key
            )
            index.setdefault(f"{kind}?identifier={identifier['value']}", key)


_Handler = Callable[[OmopRows, dict[str, Any], Where, BundleIndex], None]
_HANDLERS: dict[str, _Handler] = {
    "Patient": map_patient,
    "Encounter": map_encounter,
    "Condition": map_condition,
    "Observation": map_observation,
    "MedicationRequest": map_medication_request,
    "Immunization": map_immunization,
    "Procedure": map_procedure,
    "Organization": map_organization,
    "Practitioner": map_practitioner,
}
"""Resource types with an OMOP home. ``Medication`` is read only through MedicationRequest."""


# -- finishing -----------------------------------------------------------------------------
def _finish(rows: OmopRows, files: list[Path], ignored: Counter[str]) -> dict[str, pa.Table]:
    """Resolve references and concepts, and build the Arrow tables."""
    targets = _check_references(rows)
    concept_ids = {
        key: FIRST_LOCAL_CONCEPT_ID + rank for rank, key in enumerate(sorted(rows.concept_names))
    }
    tables: dict[str, pa.Table] = {}
    for table in BUILT_TABLES:
        columns = rows.columns[table]
        for column in _REF_COLUMNS.get(table, ()):
            columns[column] = [None if key is None else targets.get(key) for key in columns[column]]
        for name, values in columns.items():
            if name.endswith("concept_id"):
                columns[name] = [concept_ids[v] if type(v) is tuple else v for v in values]
        schema = arrow_schema(table)
        tables[table] = pa.Table.from_arrays(
            [pa.array(columns[f.name], type=f.type) for f in schema], schema=schema
        )
        rows.columns[table] = {}  # free the lists as soon as they are in Arrow
    tables["observation_period"] = _observation_periods(tables)
    tables["concept"] = _concept_table(rows, concept_ids)
    tables["cdm_source"] = _cdm_source(rows, files, ignored)
    for table in OMOP_TABLES:
        tables.setdefault(table, empty_table(table))
    return {table: tables[table] for table in OMOP_TABLES}


def _check_references(rows: OmopRows) -> dict[str, int]:
    """Map each reference key to its OMOP id; raise on a subject or encounter no file holds."""
    targets = {key: stable_id(key) for key in rows.loaded}
    for alias, key in rows.identifiers.items():
        targets.setdefault(alias, targets[key])
    for key, (where, field_name) in rows.checked_refs.items():
        if key in targets or key in rows.withdrawn:
            continue
        kind = key.split("?", 1)[0].split("/", 1)[0]
        hint = " (a bundle without its Patient?)" if kind == "Patient" else ""
        raise where.error(field_name, f"references {key}, which no loaded bundle contains{hint}")
    return targets


def _observation_periods(tables: dict[str, pa.Table]) -> pa.Table:
    """One observation period per person, from their first to their last dated record."""
    parts = []
    for table, date_columns in _PERIOD_DATES.items():
        for column in date_columns:
            dates = (
                tables[table].select(["person_id", column]).rename_columns(["person_id", "date"])
            )
            parts.append(dates.filter(pc.is_valid(dates["date"])).cast(_PERSON_DATE))
    spans = (
        pa.concat_tables(parts)
        .group_by("person_id")
        .aggregate([("date", "min"), ("date", "max")])
        .sort_by("person_id")
    )
    person_ids = spans["person_id"].to_pylist()
    schema = arrow_schema("observation_period")
    return pa.table(
        {
            "observation_period_id": pa.array(
                [stable_id(f"observation_period/{p}") for p in person_ids], pa.int64()
            ),
            "person_id": spans["person_id"],
            "observation_period_start_date": spans["date_min"],
            "observation_period_end_date": spans["date_max"],
            "period_type_concept_id": pa.array([EHR] * len(person_ids), pa.int64()),
        },
        schema=schema,
    )


def _concept_table(rows: OmopRows, concept_ids: dict[tuple[str, str], int]) -> pa.Table:
    records: list[dict[str, Any]] = [
        {"concept_id": cid, "concept_name": name, "domain_id": domain, "vocabulary_id": vocabulary,
         "concept_class_id": None, "standard_concept": "S", "concept_code": code}
        for cid, name, domain, vocabulary, code in _STANDARD_CONCEPTS
    ]  # fmt: skip
    for (vocabulary, code), cid in concept_ids.items():
        name, domain = rows.concept_names[(vocabulary, code)]
        records.append(
            {"concept_id": cid, "concept_name": name, "domain_id": domain, "vocabulary_id": vocabulary,
             "concept_class_id": None, "standard_concept": None, "concept_code": code}
        )  # fmt: skip
    return pa.Table.from_pylist(records, schema=arrow_schema("concept"))


def _cdm_source(rows: OmopRows, files: list[Path], ignored: Counter[str]) -> pa.Table:
    mapped = ", ".join(f"{kind} {count}" for kind, count in sorted(rows.mapped.items()))
    left = ", ".join(f"{kind} {count}" for kind, count in sorted(ignored.items())) or "none"
    record = {
        "cdm_source_name": "FHIR R4 bundles",
        "cdm_source_abbreviation": "FHIR",
        "source_description": f"{len(files)} FHIR R4 bundle files; mapped: {mapped}; ignored: {left}",
        "cdm_etl_reference": "hopia.warehouse._fhir",
        "cdm_version": "5.4",
        "cdm_version_concept_id": 756265,
        "vocabulary_version": "local concepts from FHIR codings (ids >= 2000000001)",
    }
    return pa.Table.from_pylist([record], schema=arrow_schema("cdm_source"))
