"""``hopia features TASK --out FILE`` on the hand-made ward patient."""

from __future__ import annotations

from typer.testing import CliRunner
from ward_patient import ward_tables

from hopia.cli import app
from hopia.features import FeatureMatrix
from hopia.warehouse import write_warehouse


def test_features_command_writes_a_matrix(tmp_path) -> None:
    url = f"duckdb:///{tmp_path}/w.duckdb"
    write_warehouse(ward_tables(), url).close()
    spec = tmp_path / "features.yaml"
    spec.write_text("windows: [24h, all]\nmin_persons: 1\n")
    out = tmp_path / "out" / "long_stay.parquet"
    result = CliRunner().invoke(
        app, ["features", "long_stay_7d", "--out", str(out), "--spec", str(spec), "-w", url]
    )
    assert result.exit_code == 0, result.output
    matrix = FeatureMatrix.read_parquet(out)
    # three inpatient stays (5 and 10 of person 1, 20 of person 2), indexed at admission + 24 h
    assert matrix.shape[0] == 3
    assert "LOINC/8867-4|count|24h" in matrix.feature_names
    assert f"{matrix.shape[0]} rows × {matrix.shape[1]} features" in result.output
