"""Conformance to reference pathways: the Sepsis Cases log against an independent count."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hopia.errors import InputError
from hopia.pathways import check_conformance, conformance_rates, load_pathway, read_log


@pytest.fixture(scope="module")
def sepsis_checked(sepsis_log_path: Path) -> pd.DataFrame:
    log = read_log(sepsis_log_path)
    return check_conformance(log, load_pathway("sepsis-cases")).to_pandas()


def _first_times(sepsis_csv: Path) -> pd.DataFrame:
    """First time of each activity per case, straight from the CSV with pandas."""
    raw = pd.read_csv(sepsis_csv, sep=";", keep_default_na=False, dtype=str)
    raw["time"] = pd.to_datetime(raw["Complete Timestamp"], format="%Y/%m/%d %H:%M:%S.%f")
    return raw.groupby(["Case ID", "Activity"])["time"].min().unstack()


def test_sepsis_antibiotics_within_one_hour_of_triage(
    sepsis_checked: pd.DataFrame, sepsis_csv: Path
) -> None:
    firsts = _first_times(sepsis_csv)
    triage, antibiotics = firsts["ER Sepsis Triage"], firsts["IV Antibiotics"]
    delay = (antibiotics - triage).dt.total_seconds()
    expected_late = set(firsts.index[(delay > 3600).to_numpy()])
    expected_missed = set(firsts.index[antibiotics.isna().to_numpy()])
    earlier_steps = firsts[["ER Registration", "ER Triage", "ER Sepsis Triage"]]
    # out of order: antibiotics before a step listed earlier that did happen
    early = earlier_steps.gt(antibiotics, axis=0).any(axis=1)
    expected_early = set(firsts.index[early.to_numpy()])
    step = sepsis_checked[sepsis_checked["step"] == "antibiotics"].set_index("case_id")
    assert len(step) == 1050
    assert set(step.index[step["late"].fillna(False).astype(bool)]) == expected_late
    assert set(step.index[step["missed"]]) == expected_missed
    assert set(step.index[step["out_of_order"]]) == expected_early
    assert len(expected_late) == 481 and len(expected_missed) == 227 and len(expected_early) == 7
    judged = step["delay_seconds"].dropna()
    assert (
        judged.sort_values().to_numpy().tolist() == delay.dropna().sort_values().to_numpy().tolist()
    )


def test_sepsis_rates_per_period(sepsis_checked: pd.DataFrame, sepsis_log_path: Path) -> None:
    log = read_log(sepsis_log_path)
    checked = check_conformance(log, load_pathway("sepsis-cases"))
    overall = conformance_rates(checked).to_pandas().set_index("step")
    conforming = sepsis_checked.groupby("case_id")["case_conforming"].first()
    assert overall.loc["(pathway)", "conforming_rate"] == pytest.approx(conforming.mean())
    assert overall.loc["antibiotics", "missed_rate"] == pytest.approx(227 / 1050)
    assert overall.loc["antibiotics", "late_rate"] == pytest.approx(481 / 823)
    per_quarter = conformance_rates(checked, by=["period"], period="quarter").to_pandas()
    cases = per_quarter[per_quarter["step"] == "(pathway)"].set_index("period")["cases"]
    starts = log.group_by("case_id").aggregate(start=log.time.min()).to_pandas()["start"]
    expected = starts.dt.to_period("Q").dt.start_time.value_counts().sort_index()
    assert cases.tolist() == expected.tolist()
    assert [pd.Timestamp(p).date() for p in cases.index] == [p.date() for p in expected.index]


def test_builtin_pathways_load() -> None:
    stroke = load_pathway("stroke")
    assert [s.name for s in stroke.steps] == [
        "ed_arrival",
        "brain_imaging",
        "thrombolysis",
        "stroke_unit",
    ]
    assert stroke.steps[1].within is not None and stroke.steps[1].within.seconds == 3600
    assert stroke.steps[3].within is not None and stroke.steps[3].within.seconds == 86400
    sepsis = load_pathway("sepsis")
    assert sepsis.steps[-1].within is not None and sepsis.steps[-1].within.after == "triage"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nsteps: []\n", "at least 1"),
        (
            "name: x\nsteps:\n  - {name: a, activities: [A], within: {minutes: 5, after: b}}\n",
            "names no step",
        ),
        (
            "name: x\nsteps:\n  - {name: a, activities: [A]}\n  - {name: a, activities: [B]}\n",
            "unique",
        ),
        (
            "name: x\nsteps:\n  - {name: a, activities: [A], within: {after: a, minutes: 5, hours: 1}}\n",
            "exactly one",
        ),
        ("name: x\nsteps:\n  - {name: a, activity: [A]}\n", "Field required"),
        ("name: x\nsteps:\n  - {name: a, activities: [A], colour: red}\n", "Extra inputs"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_pathway_files_are_explained(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "pathway.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_pathway(path)


def test_unknown_pathway() -> None:
    with pytest.raises(InputError, match="built-in"):
        load_pathway("appendicitis")


def test_cli_conformance(sepsis_log_path: Path, tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from hopia.pathways._cli import register

    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(
        app,
        ["pathways", "conformance", str(sepsis_log_path), "--pathway", "sepsis-cases",
         "--out", str(tmp_path / "c.csv"), "--rates", str(tmp_path / "r.csv"), "--by", "period"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    per_case = pd.read_csv(tmp_path / "c.csv", keep_default_na=False)
    assert len(per_case) == 4 * 1050
    rates = pd.read_csv(tmp_path / "r.csv")
    assert {"period", "step", "late_rate", "conforming_rate"} <= set(rates.columns)
