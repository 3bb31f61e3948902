"""The synthetic hospital loads into the warehouse, passes the quality checks, and has a CLI."""

from __future__ import annotations

import ibis
import pytest
from typer.testing import CliRunner

from hopia.cli import app
from hopia.synth import synthesize
from hopia.warehouse import open_warehouse
from hopia.warehouse._quality import run_quality_checks


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    url = f"duckdb:///{tmp_path_factory.mktemp('synth') / 'warehouse.duckdb'}"
    synthesize(patients=400, years=1.5, seed=3, url=url).close()
    wh = open_warehouse(url, read_only=True)
    yield wh
    wh.close()


def test_quality_checks_pass(warehouse):
    failed = [(r.name, r.violations) for r in run_quality_checks(warehouse) if not r.passed]
    assert failed == []


def test_events_show_vocabulary_codes(warehouse):
    codes = set(warehouse.events().select("code").distinct().to_pyarrow()["code"].to_pylist())
    for code in (
        "LOINC/8867-4",
        "VISIT/ER",
        "VISIT/IP",
        "UNIT/URG",
        "TRIAGE/3",
        "ED_STEP/DECISION",
        "ATC/N02BE01",
    ):
        assert code in codes, code
    assert any(c.startswith("ICD10/") and "." in c for c in codes)
    assert any(c.startswith("MOTIF/") for c in codes)


def test_truth_tables_are_beside_the_omop_tables(warehouse):
    outbreaks = warehouse.table("outbreaks", database="synth_truth").to_pyarrow()
    assert outbreaks.num_rows > 0
    phi = warehouse.table("note_phi", database="synth_truth")
    assert phi.count().to_pyarrow().as_py() > 0
    assert isinstance(warehouse.table("person"), ibis.Table)


def test_cli_writes_a_warehouse(tmp_path):
    url = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    result = CliRunner().invoke(
        app, ["synth", "--patients", "150", "--years", "1", "--seed", "9", "--warehouse", url]
    )
    assert result.exit_code == 0, result.output
    assert "150 persons" in result.output
    with open_warehouse(url, read_only=True) as wh:
        assert wh.table("person").count().to_pyarrow().as_py() == 150


def test_cli_rejects_bad_input(tmp_path):
    result = CliRunner().invoke(
        app, ["synth", "--patients", "2", "--warehouse", f"duckdb:///{tmp_path / 'x.duckdb'}"]
    )
    assert result.exit_code != 0
