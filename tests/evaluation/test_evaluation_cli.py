"""``hopia evaluate`` on a Parquet file, and the subgroup table's masking."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hopia.cli import app
from hopia.evaluation._subgroups import publishable_counts, subgroup_table


@pytest.fixture
def predictions(tmp_path):
    rng = np.random.default_rng(0)
    n = 1200
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame(
        {
            "y": y,
            "p": np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1),
            "news2": rng.integers(0, 8, n) + 2 * y,
            "person_id": rng.integers(0, 800, n),
            "sex": rng.choice(["F", "M"], n),
            "unit": rng.choice(["CARDIO", "PNEUMO", "REA"], n, p=[0.5, 0.496, 0.004]),
        }
    )
    path = tmp_path / "predictions.parquet"
    frame.to_parquet(path)
    return path, frame


def test_evaluate_json_has_intervals_comparisons_and_masked_subgroups(predictions):
    path, frame = predictions
    result = CliRunner().invoke(
        app,
        [
            "evaluate", str(path), "--label", "y", "--score", "p", "--score", "news2",
            "--person", "person_id", "--group", "sex", "--group", "unit",
            "--resamples", "100", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    auroc = next(m for m in out["metrics"] if m["score"] == "p" and m["metric"] == "auroc")
    assert auroc["lower"] < auroc["estimate"] < auroc["upper"]
    assert out["settings"]["resampled_by"] == "person"
    assert out["counts"]["n_persons"] == frame.person_id.nunique()
    assert {c["reference"] for c in out["comparisons"]} == {"news2"}
    rea = next(s for s in out["subgroups"] if s["level"] == "REA")
    assert rea["masked"] and rea["n_rows"] is None and rea["auroc"] is None
    sex = [s for s in out["subgroups"] if s["group"] == "sex"]
    assert sum(s["n_rows"] for s in sex) == len(frame)


def test_evaluate_tables_and_bad_column(predictions):
    path, _ = predictions
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", str(path), "--resamples", "20"])
    assert result.exit_code == 0, result.output
    assert "auroc" in result.output and "95 % CI" in result.output
    from hopia.cli import main  # noqa: F401  (main turns InputError into exit code 2)

    bad = runner.invoke(app, ["evaluate", str(path), "--score", "nope"])
    assert bad.exit_code != 0
    assert "no score column 'nope'" in str(bad.exception)


def test_subgroup_table_masks_small_groups_and_their_complement():
    rng = np.random.default_rng(1)
    n = 500
    y = rng.integers(0, 2, n)
    p = np.clip(0.4 * y + rng.uniform(0, 0.6, n), 0, 1)
    unit = np.array(["A"] * 240 + ["B"] * 255 + ["C"] * 5)
    table = subgroup_table(y, p, pd.DataFrame({"unit": unit}), n_resamples=30, min_cell=10)
    c = table.set_index("level").loc["C"]
    assert c.masked and pd.isna(c.n_rows) and np.isnan(c.auroc) and np.isnan(c.prevalence)
    # One more cell is masked so that C cannot be recovered from the known total.
    assert table.masked.sum() >= 2
    a = table.set_index("level").loc["A"]
    if not a.masked:
        assert a.auroc_lower < a.auroc < a.auroc_upper


def test_publishable_counts_mask_small_event_counts():
    shown = publishable_counts({"n_rows": 800, "n_persons": 700, "n_events": 3}, min_cell=10)
    assert shown["n_events"] is None and shown["n_persons"] == 700
