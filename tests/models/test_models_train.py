"""End to end on a small synthetic hospital: train, baseline, report, registry, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hopia.cli import app
from hopia.models import load_model, news2_points, news2_scores, train_task


@pytest.fixture(scope="module")
def hospital(tmp_path_factory):
    from hopia.synth import synthesize

    url = f"duckdb:///{tmp_path_factory.mktemp('wh') / 'warehouse.duckdb'}"
    synthesize(patients=2500, years=2, seed=11, url=url).close()
    return url


def test_train_registers_a_model_with_its_baseline_and_report(hospital, tmp_path):
    result = train_task(
        "inhospital_mortality", model="logistic", warehouse=hospital, models_dir=tmp_path,
        n_resamples=100, seed=3,
    )  # fmt: skip
    summary = result.metrics["summary"]
    assert summary["auroc_lower"] < summary["auroc"] < summary["auroc_upper"]
    assert summary["baseline"] == "NEWS2" and "beats_baseline" in summary
    entry = load_model("inhospital_mortality", models_dir=tmp_path)
    manifest = entry.manifest
    assert manifest["split"]["how"] == "temporal" and manifest["seed"] == 3
    assert manifest["data_snapshot_id"] not in (None, "", "unknown")
    assert entry.feature_names == list(entry.model.feature_names_)
    html = entry.report_path.read_text()
    assert "<svg" in html and "NEWS2" in html and "TRIPOD" in html
    assert "src=" not in html and "href=" not in html  # self-contained: no external asset
    verdict = (
        "discriminates better than NEWS2" if summary["beats_baseline"] else "does not beat NEWS2"
    )
    assert verdict in html or "worse than NEWS2" in html
    metrics = json.loads((entry.path / "metrics.json").read_text())
    for row in metrics["subgroups"]:
        if row["n_rows"] is not None:
            assert row["n_rows"] >= 10 or row["n_rows"] == 0
    out = CliRunner().invoke(
        app, ["models", "show", "inhospital_mortality", "--models-dir", str(tmp_path)]
    )
    assert out.exit_code == 0 and "NEWS2" in out.output


def test_news2_uses_the_last_vitals_before_the_index_time(hospital):
    from hopia.warehouse import open_warehouse
    from hopia.warehouse.vocab import VITALS

    with open_warehouse(hospital, read_only=True) as wh:
        events = wh.events()
        codes = [
            VITALS[n]
            for n in (
                "heart_rate",
                "respiratory_rate",
                "spo2",
                "temperature",
                "systolic_bp",
                "oxygen_flow",
                "avpu",
                "glasgow",
            )
        ]
        vitals = (
            events.filter(events.code.isin(codes))
            .select("person_id", "time", "code", "value")
            .to_pandas()
        )
        some = vitals.drop_duplicates("person_id").head(5)
        keys = pd.DataFrame(
            {
                "person_id": some.person_id.to_numpy(),
                "visit_occurrence_id": np.arange(5),
                "index_time": pd.to_datetime(some.time).to_numpy() + np.timedelta64(2, "h"),
            }
        )
        scores = news2_scores(wh, keys)
    for row in scores.itertuples():
        mine = vitals[(vitals.person_id == row.person_id) & (vitals.time <= row.index_time)
                      & (vitals.time > row.index_time - pd.Timedelta(hours=24))]  # fmt: skip
        last = mine.sort_values("time").groupby("code").value.last()

        def value(name, last=last):
            return last.get(VITALS[name], np.nan)

        expected = news2_points(
            rr=[value("respiratory_rate")], spo2=[value("spo2")],
            on_oxygen=[value("oxygen_flow") > 0], temperature=[value("temperature")],
            systolic=[value("systolic_bp")], pulse=[value("heart_rate")],
            confused=[(value("avpu") > 0) or (value("glasgow") < 15)],
        )[0]  # fmt: skip
        assert row.news2 == expected
