"""A tiny hospital for the pathway tests: three stays through the ED, written as OMOP tables.

* person 1 (born 1950, M): ED visit 10 (08:00-12:00) then inpatient visit 11 that names it
  as preceding visit: URG → UNV (stroke unit) at 12:00 → NEURO the next day; brain CT at
  09:30 (90 min after arrival: late for the stroke pathway); stroke diagnosis I63.9.
* person 2 (born 1990, F): ED-and-inpatient visit 20: URG → REA at 11:00; antibiotics at
  09:30; appendicectomy in REA at 14:00.
* person 3 (born 1970, F): ED visit 30 only (URG); brain MRI (local code, found by its
  name) at 10:40, 40 min after arrival.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest


def _t(day: int, hour: int, minute: int = 0, month: int = 1) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, minute)


def tiny_hospital_tables() -> dict[str, pa.Table]:
    """The OMOP tables of the tiny hospital (Arrow)."""
    concept = pa.table(
        {
            "concept_id": [
                2000000001,
                2000000002,
                2000000003,
                2000000004,
                2000000005,
                2000000006,
                2000000007,
            ],
            "concept_name": [
                "Scanographie du crâne",
                "Tri par l'infirmier organisateur de l'accueil",
                "Arrivée aux urgences",
                "accident vasculaire cérébral ischémique",
                "amoxicilline et inhibiteur d'enzyme",
                "Appendicectomie par cœlioscopie",
                "IRM cérébrale sans injection",
            ],
            "domain_id": [
                "Procedure",
                "Observation",
                "Observation",
                "Condition",
                "Drug",
                "Procedure",
                "Procedure",
            ],
            "vocabulary_id": ["CCAM", "ED_STEP", "ED_STEP", "ICD10", "ATC", "CCAM", "LOCAL"],
            "concept_class_id": ["x"] * 7,
            "concept_code": ["ACQK001", "TRIAGE", "ARRIVEE", "I63.9", "J01CR02", "HHFA016", "IRMC"],
            "valid_start_date": [dt.date(2000, 1, 1)] * 7,
            "valid_end_date": [dt.date(2099, 12, 31)] * 7,
        }
    )
    person = pa.table(
        {
            "person_id": [1, 2, 3],
            "gender_concept_id": [8507, 8532, 8532],
            "year_of_birth": [1950, 1990, 1970],
        }
    )
    care_site = pa.table(
        {
            "care_site_id": [1, 2, 3, 4],
            "care_site_name": ["Urgences", "Neurologie", "Unité neurovasculaire", "Réanimation"],
            "care_site_source_value": ["URG", "NEURO", "UNV", "REA"],
        }
    )
    visit_occurrence = pa.table(
        {
            "visit_occurrence_id": [10, 11, 20, 30],
            "person_id": [1, 1, 2, 3],
            "visit_concept_id": [9203, 9201, 262, 9203],
            "visit_start_date": [
                d.date() for d in (_t(1, 8), _t(1, 12), _t(2, 9), _t(1, 10, month=2))
            ],
            "visit_start_datetime": [_t(1, 8), _t(1, 12), _t(2, 9), _t(1, 10, month=2)],
            "visit_end_date": [
                d.date() for d in (_t(1, 12), _t(5, 10), _t(3, 9), _t(1, 14, month=2))
            ],
            "visit_end_datetime": [_t(1, 12), _t(5, 10), _t(3, 9), _t(1, 14, month=2)],
            "preceding_visit_occurrence_id": [None, 10, None, None],
        }
    )
    stays = [
        # id, person, visit, care site, start, end
        (101, 1, 10, 1, _t(1, 8), _t(1, 12)),
        (102, 1, 11, 3, _t(1, 12), _t(2, 12)),
        (103, 1, 11, 2, _t(2, 12), _t(5, 10)),
        (201, 2, 20, 1, _t(2, 9), _t(2, 11)),
        (202, 2, 20, 4, _t(2, 11), _t(3, 9)),
        (301, 3, 30, 1, _t(1, 10, month=2), _t(1, 14, month=2)),
    ]
    visit_detail = pa.table(
        {
            "visit_detail_id": [s[0] for s in stays],
            "person_id": [s[1] for s in stays],
            "visit_occurrence_id": [s[2] for s in stays],
            "care_site_id": [s[3] for s in stays],
            "visit_detail_start_date": [s[4].date() for s in stays],
            "visit_detail_start_datetime": [s[4] for s in stays],
            "visit_detail_end_date": [s[5].date() for s in stays],
            "visit_detail_end_datetime": [s[5] for s in stays],
        }
    )
    observation = pa.table(
        {
            "observation_id": [1, 2, 3],
            "person_id": [1, 1, 3],
            "observation_concept_id": [2000000003, 2000000002, 2000000002],
            "observation_date": [dt.date(2024, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 2, 1)],
            "observation_datetime": [_t(1, 8), _t(1, 8, 10), _t(1, 10, 5, month=2)],
            "visit_occurrence_id": [10, 10, 30],
        }
    )
    procedure_occurrence = pa.table(
        {
            "procedure_occurrence_id": [1, 2, 3],
            "person_id": [1, 2, 3],
            "procedure_concept_id": [2000000001, 2000000006, 2000000007],
            "procedure_date": [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 2, 1)],
            "procedure_datetime": [_t(1, 9, 30), _t(2, 14), _t(1, 10, 40, month=2)],
            "visit_occurrence_id": [10, 20, 30],
        }
    )
    condition_occurrence = pa.table(
        {
            "condition_occurrence_id": [1],
            "person_id": [1],
            "condition_concept_id": [2000000004],
            "condition_start_date": [dt.date(2024, 1, 1)],
            "visit_occurrence_id": [11],
        }
    )
    drug_exposure = pa.table(
        {
            "drug_exposure_id": [1],
            "person_id": [2],
            "drug_concept_id": [2000000005],
            "drug_exposure_start_date": [dt.date(2024, 1, 2)],
            "drug_exposure_start_datetime": [_t(2, 9, 30)],
            "visit_occurrence_id": [20],
        }
    )
    return {
        "concept": concept,
        "person": person,
        "care_site": care_site,
        "visit_occurrence": visit_occurrence,
        "visit_detail": visit_detail,
        "observation": observation,
        "procedure_occurrence": procedure_occurrence,
        "condition_occurrence": condition_occurrence,
        "drug_exposure": drug_exposure,
    }


@pytest.fixture(scope="session")
def hospital_tables() -> dict[str, pa.Table]:
    """The OMOP tables of the tiny hospital (to build more warehouses from)."""
    return tiny_hospital_tables()


@pytest.fixture(scope="session")
def tiny_hospital(tmp_path_factory: pytest.TempPathFactory):
    """The tiny hospital as a DuckDB warehouse (read it, don't change it)."""
    from hopia.warehouse import write_warehouse

    folder: Path = tmp_path_factory.mktemp("pathways-hospital")
    return write_warehouse(tiny_hospital_tables(), f"duckdb:///{folder}/warehouse.duckdb")


@pytest.fixture(scope="session")
def sepsis_csv(external: Path) -> Path:
    """The Sepsis Cases event log (``;``-separated, a case named ``NA``)."""
    return external / "sepsis-cases-4tu" / "sepsis.csv"


@pytest.fixture(scope="session")
def sepsis_log_path(sepsis_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Sepsis Cases log imported once with the default tie-break (Parquet)."""
    from hopia.pathways import import_log

    out = tmp_path_factory.mktemp("sepsis") / "sepsis.parquet"
    import_log(
        sepsis_csv, out, case="Case ID", activity="Activity", time="Complete Timestamp", sep=";"
    )
    return out
