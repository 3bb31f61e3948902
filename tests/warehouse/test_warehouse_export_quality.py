"""MEDS and Parquet exports (validated with the meds package's own schemas) and quality checks."""

from __future__ import annotations

import json
from pathlib import Path

import meds
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from hopia.cli import app
from hopia.warehouse import write_warehouse
from hopia.warehouse._export import export_meds, export_parquet
from hopia.warehouse._quality import run_quality_checks


def test_meds_export_validates_and_covers_events(mimic_warehouse, tmp_path: Path) -> None:
    out = export_meds(mimic_warehouse, tmp_path / "meds")
    data = pq.read_table(out / "data" / "0.parquet")
    meds.DataSchema.validate(data)
    meds.CodeMetadataSchema.validate(pq.read_table(out / meds.code_metadata_filepath))
    splits = pq.read_table(out / meds.subject_splits_filepath)
    meds.SubjectSplitSchema.validate(splits)
    metadata = json.loads((out / meds.dataset_metadata_filepath).read_text())
    assert metadata["dataset_version"] == mimic_warehouse.snapshot_id
    codes = data.column("code").to_pylist()
    # every event, plus one birth and one gender row per person
    assert len(codes) == mimic_warehouse.events().count().execute() + 2 * 100
    assert codes.count("MEDS_BIRTH") == 100 and codes.count("MEDS_DEATH") == 15
    assert set(splits.column("split").to_pylist()) <= {"train", "tuning", "held_out"}
    subjects = data.column("subject_id").to_pylist()
    assert subjects == sorted(subjects)


def test_parquet_export_round_trips_row_counts(mimic_warehouse, tmp_path: Path) -> None:
    out = export_parquet(mimic_warehouse, tmp_path / "pq")
    assert pq.read_table(out / "visit_detail.parquet").num_rows == 14479
    assert pq.read_table(out / "person.parquet").schema.field("person_id").type == "int64"


def test_export_refuses_foreign_folder(mimic_warehouse, tmp_path: Path) -> None:
    from hopia.errors import InputError

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("precious")
    with pytest.raises(InputError, match="not an earlier export"):
        export_meds(mimic_warehouse, tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.docx").read_text() == "precious"


def test_quality_flags_planted_problems(tmp_path: Path) -> None:
    import datetime as dt

    wh = write_warehouse(
        {
            "person": {
                "person_id": [1, 2],
                "gender_concept_id": [8507, 8532],
                "year_of_birth": [1960, 2001],
            },
            "death": {"person_id": [1], "death_date": [dt.date(2020, 1, 1)]},
            "visit_occurrence": {
                "visit_occurrence_id": [1, 2, 3],
                "person_id": [1, 2, 3],
                "visit_concept_id": [9201] * 3,
                "visit_start_date": [dt.date(2020, 3, 1), dt.date(1990, 1, 1), dt.date(2020, 1, 1)],
                "visit_end_date": [dt.date(2020, 3, 2), dt.date(1989, 1, 1), dt.date(2020, 1, 2)],
            },
            "concept": {"concept_id": [1], "vocabulary_id": ["LOINC"], "concept_code": ["8867-4"]},
            "measurement": {
                "measurement_id": [1, 2],
                "person_id": [2, 2],
                "measurement_concept_id": [1, 1],
                "measurement_date": [dt.date(2020, 1, 1)] * 2,
                "value_as_number": [80.0, 900.0],
            },
        },
        f"duckdb:///{tmp_path}/w.duckdb",
    )
    results = {r.name: r for r in run_quality_checks(wh)}
    assert results["visit_occurrence_before_death"].violations == 1
    assert results["visit_occurrence_after_birth"].violations == 1
    assert results["visit_occurrence_dates_ordered"].violations == 1
    assert results["visit_occurrence_person_exists"].violations == 1
    assert results["plausible_values"].violations == 1 and not results["plausible_values"].passed
    assert results["person_unique_id"].passed


def test_cli_load_quality_summary_export(tmp_path: Path, external: Path) -> None:
    runner = CliRunner()
    url = f"duckdb:///{tmp_path}/w.duckdb"
    result = runner.invoke(
        app, ["load", "omop", str(external / "eunomia-synthea27nj/Synthea27Nj_5.4.zip"), "-w", url]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["quality", "-w", url, "--json"])
    assert result.exit_code == 0
    checks = json.loads(result.output)
    assert {c["category"] for c in checks} == {"completeness", "conformance", "plausibility"}
    result = runner.invoke(app, ["summary", "-w", url, "--json"])
    assert json.loads(result.output)["persons"] == 28
    result = runner.invoke(app, ["export", "meds", str(tmp_path / "meds"), "-w", url])
    assert result.exit_code == 0 and (tmp_path / "meds" / "metadata" / "dataset.json").exists()


def test_cli_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = Path(__file__).parent / "bad_omop" / "wrong_type"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hopia.cli",
            "load",
            "omop",
            str(bad),
            "-w",
            f"duckdb:///{tmp_path}/w.duckdb",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "field year_of_birth: expected an integer, got 'nineteen'" in proc.stderr
    assert "Traceback" not in proc.stderr
