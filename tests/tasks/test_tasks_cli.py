"""``hopia task list|show|labels`` on the tiny hand-made hospital."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
from tiny_hospital import tiny_hospital_tables
from typer.testing import CliRunner

from hopia.cli import app
from hopia.warehouse import write_warehouse


def test_task_list_and_show() -> None:
    listed = CliRunner().invoke(app, ["task", "list"])
    assert listed.exit_code == 0, listed.output
    assert "readmission_30d" in listed.output and "Unplanned readmission" in listed.output
    shown = CliRunner().invoke(app, ["task", "show", "deterioration_48h"])
    assert shown.exit_code == 0
    assert "every: 12h" in shown.output and "type: icu_admission" in shown.output


def test_task_labels_writes_parquet_and_warns_outside_observation(tmp_path) -> None:
    tables = tiny_hospital_tables()
    periods = tables["observation_period"].to_pylist()
    for period in periods:
        if period["person_id"] == 1:  # observed only until 1 Mar: both stays of person 1 are after
            period["observation_period_end_date"] = dt.date(2024, 3, 1)
    tables["observation_period"] = pa.Table.from_pylist(periods)
    url = f"duckdb:///{tmp_path}/w.duckdb"
    write_warehouse(tables, url).close()
    out = tmp_path / "labels" / "mortality.parquet"
    result = CliRunner().invoke(
        app, ["task", "labels", "inhospital_mortality", "--out", str(out), "--warehouse", url]
    )
    assert result.exit_code == 0, result.output
    assert "16 rows, 1 positive" in result.output
    assert "warning: 2 index time(s) fall outside the person's observation period" in result.output
    assert "still in hospital at index" in result.output
    labels = pq.read_table(out)
    assert labels.num_rows == 16
    assert labels.column_names[:4] == ["person_id", "visit_occurrence_id", "index_time", "label"]
    assert not list(out.parent.glob(".*partial"))


def test_task_labels_bad_task_exits_2(tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["task", "labels", "nope", "--out", str(tmp_path / "x.parquet")]
    )
    assert result.exit_code != 0
    assert not (tmp_path / "x.parquet").exists()
