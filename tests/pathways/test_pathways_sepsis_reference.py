"""hopia on the real Sepsis Cases log matches pm4py 2.7's reference outputs exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from hopia.pathways import (
    directly_follows,
    end_activities,
    import_log,
    log_summary,
    read_log,
    start_activities,
    variants,
)


@pytest.fixture(scope="module")
def reference_dir(reference: Path) -> Path:
    return reference / "pathways"


@pytest.fixture(scope="module")
def sepsis_log(sepsis_log_path: Path):
    return read_log(sepsis_log_path)


def test_summary_matches_pm4py(sepsis_log, reference_dir: Path) -> None:
    expected = json.loads((reference_dir / "sepsis_summary.json").read_text())
    figures = log_summary(sepsis_log)
    for key in ("cases", "events", "activities", "variants", "dfg_edges"):
        assert figures[key] == expected[key], key
    assert {
        row["activity"]: row["cases"]
        for row in start_activities(sepsis_log).to_pyarrow().to_pylist()
    } == (expected["start_activities"])
    ends = {
        row["activity"]: row["cases"] for row in end_activities(sepsis_log).to_pyarrow().to_pylist()
    }
    assert ends == expected["end_activities"]


def test_case_named_na_is_kept(sepsis_log) -> None:
    na = sepsis_log.filter(sepsis_log.case_id == "NA").count().to_pyarrow().as_py()
    assert na > 0
    assert sepsis_log.case_id.isnull().sum().to_pyarrow().as_py() == 0


def test_dfg_matches_pm4py_exactly(sepsis_log, reference_dir: Path) -> None:
    ours = directly_follows(sepsis_log).to_pandas()
    ref = pd.read_csv(reference_dir / "sepsis_dfg.csv", keep_default_na=False)
    merged = ref.merge(
        ours, on=["source", "target"], how="outer", suffixes=("_ref", ""), indicator=True
    )
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert len(merged) == 115
    assert (merged["count_ref"] == merged["count"]).all()
    # means and medians to well under a second (the reference is pm4py's float64 output)
    assert (merged["mean_seconds_ref"] - merged["mean_seconds"]).abs().max() < 1e-6
    assert (merged["median_seconds_ref"] - merged["median_seconds"]).abs().max() < 1e-9
    # the even-count medians (mean of the two middle values) are among them
    assert (merged["median_seconds_ref"] % 1 == 0.5).any()


def test_variants_match_pm4py_exactly(sepsis_log, reference_dir: Path) -> None:
    ours = variants(sepsis_log).to_pandas()
    ref = pd.read_csv(reference_dir / "sepsis_variants.csv", keep_default_na=False)
    assert dict(zip(ours["variant"], ours["cases"], strict=True)) == dict(
        zip(ref["variant"], ref["cases"], strict=True)
    )
    assert ours["coverage"].iloc[-1] == pytest.approx(1.0)
    assert ours["cases"].is_monotonic_decreasing


def test_tie_break_by_activity_gives_another_deterministic_order(
    sepsis_csv: Path, tmp_path: Path
) -> None:
    first = import_log(sepsis_csv, tmp_path / "a.parquet", case="Case ID", activity="Activity",
                       time="Complete Timestamp", sep=";", tie_break="activity")  # fmt: skip
    again = import_log(sepsis_csv, tmp_path / "b.parquet", case="Case ID", activity="Activity",
                       time="Complete Timestamp", sep=";", tie_break="activity")  # fmt: skip
    assert first.equals(again)
    by_activity = read_log(tmp_path / "a.parquet")
    counts = variants(by_activity).to_pandas()
    assert counts["cases"].sum() == 1050
    # half of the events share a timestamp: ordering ties by name changes some variants
    assert len(counts) != 846
    # inside a tie, activities are in name order
    ordered = by_activity.order_by(["case_id", "position"]).to_pandas()
    following = ordered.shift(-1)
    tied = (ordered["case_id"] == following["case_id"]) & (ordered["time"] == following["time"])
    assert tied.sum() > 1000
    assert (ordered.loc[tied, "activity"] <= following.loc[tied, "activity"]).all()


def test_cli_outputs_are_the_reference_files(
    sepsis_log_path: Path, reference_dir: Path, tmp_path: Path
) -> None:
    import typer

    from hopia.pathways._cli import register

    app = typer.Typer()
    register(app)
    runner = CliRunner()
    result = runner.invoke(
        app, ["pathways", "map", str(sepsis_log_path), "--out", str(tmp_path / "dfg.csv")]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["pathways", "variants", str(sepsis_log_path), "--out", str(tmp_path / "v.csv")]
    )
    assert result.exit_code == 0, result.output
    dfg = pd.read_csv(tmp_path / "dfg.csv", keep_default_na=False)
    ref = pd.read_csv(reference_dir / "sepsis_dfg.csv", keep_default_na=False)
    assert list(dfg.columns) == ["source", "target", "count", "mean_seconds", "median_seconds"]
    dfg = dfg.sort_values(["source", "target"]).reset_index(drop=True)
    ref = ref.sort_values(["source", "target"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(dfg, ref, check_exact=False, rtol=0, atol=1e-6)
    found = pd.read_csv(tmp_path / "v.csv", keep_default_na=False)
    assert list(found.columns) == ["variant", "cases"]
    expected = pd.read_csv(reference_dir / "sepsis_variants.csv", keep_default_na=False)
    assert sorted(zip(found["variant"], found["cases"], strict=True)) == sorted(
        zip(expected["variant"], expected["cases"], strict=True)
    )


def test_dfg_from_variants_equals_dfg_from_events(sepsis_log) -> None:
    from hopia.pathways import variant_directly_follows

    from_events = directly_follows(sepsis_log, waiting_times=False).to_pandas()
    from_variants = variant_directly_follows(variants(sepsis_log)).to_pandas()
    pd.testing.assert_frame_equal(from_events, from_variants, check_dtype=False)
    assert from_events["count"].sum() == 15214 - 1050
