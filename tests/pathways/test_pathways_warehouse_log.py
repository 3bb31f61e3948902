"""Event logs from the warehouse: unit chains, ED steps, imaging, conformance on a tiny hospital."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hopia.errors import InputError
from hopia.pathways import (
    check_conformance,
    directly_follows,
    load_activity_rules,
    load_pathway,
    read_log,
    variants,
    warehouse_log,
)


@pytest.fixture(scope="module")
def stay_arrow(tiny_hospital):
    """The stay log computed once (each analysis then reads the small materialised log)."""
    return warehouse_log(tiny_hospital).order_by(["case_id", "position"]).to_pyarrow()


@pytest.fixture(scope="module")
def stay_log(stay_arrow) -> pd.DataFrame:
    return stay_arrow.to_pandas()


def test_stays_have_time_ordered_unit_chains(stay_log: pd.DataFrame) -> None:
    units = stay_log[stay_log["domain"] == "visit_detail"]
    chains = units.groupby("case_id")["activity"].agg(list).to_dict()
    # the ED visit and the inpatient visit that follows it are one stay
    assert chains == {"10": ["URG", "UNV", "NEURO"], "20": ["URG", "REA"], "30": ["URG"]}
    for _, stay in units.groupby("case_id"):
        assert stay["time"].is_monotonic_increasing
        assert (stay["end_time"].iloc[:-1].to_numpy() == stay["time"].iloc[1:].to_numpy()).all()
    assert (
        stay_log.groupby("case_id")["position"].agg(list).map(lambda p: p == list(range(len(p))))
    ).all()


def test_activities_from_rules(stay_log: pd.DataFrame) -> None:
    first = stay_log[stay_log["case_id"] == "10"]
    assert first["activity"].tolist() == [
        "ED arrival", "URG", "ED triage", "Brain imaging", "ED departure", "Admission", "UNV", "NEURO", "Discharge",
    ]  # fmt: skip
    # the brain CT is done in the ED; the MRI of case 30 is found by its concept name
    imaging = stay_log[stay_log["activity"] == "Brain imaging"]
    assert imaging["unit"].tolist() == ["URG", "URG"]
    assert imaging["code"].tolist() == ["CCAM/ACQK001", "LOCAL/IRMC"]
    surgery = stay_log[stay_log["activity"] == "Surgery"]
    assert surgery["unit"].tolist() == ["REA"]
    attributes = stay_log.groupby("case_id")[
        ["age_band", "gender", "visit_type", "diagnosis"]
    ].first()
    assert attributes.loc["10"].tolist() == ["65-79", "M", "ER", "I63.9"]
    assert attributes.loc["20"].tolist()[:3] == ["18-44", "F", "ERIP"]


def test_person_cases_and_population(tiny_hospital) -> None:
    persons = warehouse_log(tiny_hospital, case="person")
    assert sorted(set(persons.case_id.to_list())) == ["1", "2", "3"]
    er_only = warehouse_log(tiny_hospital, visit_types=["ERIP"])
    assert set(er_only.case_id.to_list()) == {"20"}
    with pytest.raises(InputError):
        warehouse_log(tiny_hospital, case="bed")  # type: ignore[arg-type]


def test_map_and_stroke_conformance(stay_arrow) -> None:
    import ibis

    log = ibis.memtable(stay_arrow)
    dfg = directly_follows(log).to_pandas().set_index(["source", "target"])
    assert dfg.loc[("ED arrival", "URG"), "count"] == 3
    assert dfg.loc[("UNV", "NEURO"), "median_seconds"] == 86400.0
    assert variants(log).to_pandas()["cases"].tolist() == [1, 1, 1]
    checked = check_conformance(log, load_pathway("stroke")).to_pandas()
    status = checked.set_index(["case_id", "step"])["status"].to_dict()
    assert status[("10", "brain_imaging")] == "late"  # 90 min after arrival
    assert status[("10", "stroke_unit")] == "on_time"  # UNV 4 h after arrival
    assert status[("30", "brain_imaging")] == "on_time"
    assert status[("30", "stroke_unit")] == "missed"
    assert status[("10", "thrombolysis")] == "skipped"


def test_custom_rules_file(tiny_hospital, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - activity: Any imaging\n    names: ['crâne|IRM']\n", encoding="utf-8"
    )
    rules = load_activity_rules(path)
    log = warehouse_log(tiny_hospital, rules=rules).to_pandas()
    assert set(log["activity"]) == {"URG", "UNV", "NEURO", "REA", "Any imaging"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - {activity: X, colour: red}\n", encoding="utf-8")
    with pytest.raises(InputError):
        load_activity_rules(bad)


def test_cli_log_writes_a_log(hospital_tables, tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from hopia.pathways._cli import register
    from hopia.warehouse import write_warehouse

    url = f"duckdb:///{tmp_path}/warehouse.duckdb"
    write_warehouse(hospital_tables, url).close()  # the command opens it read-only
    app = typer.Typer()
    register(app)
    out = tmp_path / "log.parquet"
    result = CliRunner().invoke(
        app, ["pathways", "log", "--warehouse", url, "--out", str(out), "--case", "stay"]
    )
    assert result.exit_code == 0, result.output
    log = read_log(out)
    assert log.count().to_pyarrow().as_py() == 20
