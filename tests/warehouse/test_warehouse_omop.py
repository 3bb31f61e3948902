"""Loading the real OMOP data sets no one here wrote: MIMIC-IV demo (5.3.1), Eunomia GiBleed (5.3,
UPPERCASE headers, ISO datetimes with Z) and Synthea27Nj (5.4, lowercase, __MACOSX junk)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from hopia.warehouse import open_warehouse
from hopia.warehouse._omop import load_omop
from hopia.warehouse.schema import OMOP_TABLES

CLINICAL = (
    "visit_occurrence",
    "visit_detail",
    "condition_occurrence",
    "drug_exposure",
    "procedure_occurrence",
    "measurement",
    "observation",
    "death",
)


def _csv_rows_in_folder(folder: Path) -> dict[str, int]:
    counts = {}
    for path in folder.glob("*.csv"):
        with path.open(newline="") as handle:
            counts[path.stem.lower()] = sum(1 for _ in csv.reader(handle)) - 1
    return counts


def _csv_rows_in_zip(archive: Path) -> dict[str, int]:
    counts = {}
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            name = Path(info.filename)
            if (
                info.is_dir()
                or "__MACOSX" in name.parts
                or name.name.startswith("._")
                or name.suffix != ".csv"
            ):
                continue
            with zipped.open(info) as raw:
                counts[name.stem.lower()] = (
                    sum(1 for _ in csv.reader(io.TextIOWrapper(raw, "utf-8"))) - 1
                )
    return counts


@pytest.fixture(scope="module")
def mimic(external: Path, tmp_path_factory: pytest.TempPathFactory):
    url = f"duckdb:///{tmp_path_factory.mktemp('mimic')}/w.duckdb"
    return load_omop(external / "mimic-iv-demo-omop-0.9", url), external / "mimic-iv-demo-omop-0.9"


@pytest.mark.parametrize(
    ("name", "persons"),
    [
        ("eunomia-gibleed/GiBleed_5.3_csv.zip", 2694),
        ("eunomia-synthea27nj/Synthea27Nj_5.4.zip", 28),
    ],
)
def test_eunomia_zips_load_with_source_row_counts(
    external: Path, tmp_path: Path, name: str, persons: int
) -> None:
    archive = external / name
    report = load_omop(archive, f"duckdb:///{tmp_path}/w.duckdb")
    expected = _csv_rows_in_zip(archive)
    wh = report.warehouse
    assert wh is not None
    assert wh.table("person").count().execute() == persons
    for table in OMOP_TABLES:
        if table in expected:
            assert wh.table(table).count().execute() == expected[table], table
    assert "concept_ancestor" in report.skipped_tables
    _events_cover_clinical_rows(wh)


def test_mimic_demo_loads_with_source_row_counts(mimic) -> None:
    report, folder = mimic
    expected = _csv_rows_in_folder(folder)
    wh = report.warehouse
    for table in OMOP_TABLES:
        if table in expected:
            assert report.rows[table] == expected[table]
            assert wh.table(table).count().execute() == expected[table]
    assert wh.table("person").count().execute() == 100


def test_mimic_ids_keep_all_64_bits(mimic) -> None:
    """MIMIC ids are signed 64-bit hashes: a float round trip would change them."""
    report, folder = mimic
    with (folder / "person.csv").open() as handle:
        source_ids = sorted(int(row["person_id"]) for row in csv.DictReader(handle))
    loaded = sorted(report.warehouse.table("person").person_id.execute().tolist())
    assert loaded == source_ids
    assert any(i < 0 for i in loaded) and any(abs(i) > 2**53 for i in loaded)


def test_mimic_53_columns_renamed_to_54(mimic) -> None:
    wh = mimic[0].warehouse
    detail = wh.table("visit_detail")
    assert "parent_visit_detail_id" in detail.columns
    assert detail.admitted_from_source_value.notnull().sum().execute() > 0


def _events_cover_clinical_rows(wh) -> None:
    events = wh.events()
    by_domain = events.group_by("domain").aggregate(n=events.count()).execute()
    counts = dict(zip(by_domain["domain"], by_domain["n"], strict=True))
    domain_of = {
        "visit_occurrence": "visit",
        "visit_detail": "visit_detail",
        "condition_occurrence": "condition",
        "drug_exposure": "drug",
        "procedure_occurrence": "procedure",
        "measurement": "measurement",
        "observation": "observation",
        "death": "death",
    }
    for table in CLINICAL:
        assert counts.get(domain_of[table], 0) == wh.table(table).count().execute(), table
    assert events.code.isnull().sum().execute() == 0
    assert events.time.isnull().sum().execute() == 0


def test_mimic_events_cover_every_clinical_row(mimic) -> None:
    wh = mimic[0].warehouse
    _events_cover_clinical_rows(wh)
    codes = wh.events().code.execute()
    assert (codes.str.contains("/") | (codes == "DEATH")).all()
    # source values have trailing spaces in MIMIC: codes are trimmed
    assert not codes.str.endswith(" ").any()


def test_events_prefer_concepts_then_source_values(tmp_path: Path) -> None:
    import datetime as dt

    from hopia.warehouse import write_warehouse

    wh = write_warehouse(
        {
            "person": {"person_id": [1], "gender_concept_id": [8507], "year_of_birth": [1960]},
            "concept": {
                "concept_id": [5, 6],
                "vocabulary_id": ["ICD10", "LOINC"],
                "concept_code": ["I21.4", "718-7"],
            },
            "condition_occurrence": {
                "condition_occurrence_id": [1, 2, 3],
                "person_id": [1, 1, 1],
                "condition_concept_id": [5, 0, 999],
                "condition_start_date": [dt.date(2020, 1, 1)] * 3,
                "condition_start_datetime": [None, dt.datetime(2020, 1, 1, 9), None],
                "condition_source_value": ["x", "78791  ", None],
            },
            "measurement": {
                "measurement_id": [1],
                "person_id": [1],
                "measurement_concept_id": [6],
                "measurement_date": [dt.date(2020, 1, 2)],
                "value_as_number": [12.5],
                "unit_source_value": ["g/dL"],
            },
        },
        f"duckdb:///{tmp_path}/w.duckdb",
    )
    rows = wh.events().order_by(["domain", "code"]).execute()
    assert rows.code.tolist() == ["CONDITION/78791", "ICD10/I21.4", "OMOP/999", "LOINC/718-7"]
    assert rows.date_only.tolist() == [False, True, True, True]
    assert rows.value.iloc[-1] == 12.5 and rows.unit.iloc[-1] == "g/dL"


def test_open_read_only_missing_file_is_clear(tmp_path: Path) -> None:
    from hopia.errors import InputError

    with pytest.raises(InputError, match="no warehouse here yet"):
        open_warehouse(f"duckdb:///{tmp_path}/absent.duckdb", read_only=True)
