"""Importing CSV and XES event logs: separators, time formats, ties, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hopia.errors import InputError
from hopia.pathways import directly_follows, import_log, read_event_file, read_log, variants

XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <global scope="event"><string key="concept:name" value="__INVALID__"/></global>
  <trace>
    <string key="concept:name" value="NA"/>
    <string key="diagnosis" value="A41"/>
    <event>
      <string key="concept:name" value="Triage &amp; registration"/>
      <date key="time:timestamp" value="2024-03-01T08:00:00.000+01:00"/>
      <string key="org:group" value="URG"/>
    </event>
    <event>
      <string key="concept:name" value="Antibiotics"/>
      <date key="time:timestamp" value="2024-03-01T08:45:00.000+01:00"/>
      <list key="doses"><int key="dose" value="1"/></list>
    </event>
  </trace>
  <trace>
    <string key="concept:name" value="B"/>
    <event>
      <string key="concept:name" value="Antibiotics"/>
      <date key="time:timestamp" value="2024-03-02T10:00:00.000+01:00"/>
    </event>
    <event>
      <string key="concept:name" value="Triage &amp; registration"/>
      <date key="time:timestamp" value="2024-03-02T10:00:00.000+01:00"/>
    </event>
  </trace>
</log>
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sepsis_csv_quirks(sepsis_csv: Path) -> None:
    table = read_event_file(
        sepsis_csv, case="Case ID", activity="Activity", time="Complete Timestamp", sep=";"
    )
    assert table.num_rows == 15214
    assert len(set(table.column("case_id").to_pylist())) == 1050
    assert "NA" in set(table.column("case_id").to_pylist())
    first = table.slice(0, 1).to_pylist()[0]
    assert first["time"].isoformat() == "2014-10-22T11:15:41"
    assert first["source_row"] == 0
    # attributes are kept as text, empty cells become null (never the case id "NA")
    assert first["Age"] == "85" and first["CRP"] is None
    assert first["org:group"] == "A"


def test_xes_import_streams_traces_and_attributes(tmp_path: Path) -> None:
    path = _write(tmp_path, "small.xes", XES)
    out = tmp_path / "log.parquet"
    table = import_log(path, out, unit="org:group")
    rows = table.to_pylist()
    assert [r["case_id"] for r in rows] == ["B", "B", "NA", "NA"]
    # offsets are dropped: the local wall-clock time is kept
    assert rows[2]["time"].isoformat() == "2024-03-01T08:00:00"
    assert rows[2]["activity"] == "Triage & registration"
    assert rows[2]["case:diagnosis"] == "A41"
    assert rows[2]["unit"] == "URG"
    # equal times keep the file order by default
    assert [r["activity"] for r in rows[:2]] == ["Antibiotics", "Triage & registration"]
    # nested list attributes are not events' attributes
    assert "dose" not in table.column_names
    log = read_log(out)
    assert variants(log).to_pandas()["cases"].tolist() == [1, 1]


def test_tie_break_activity_orders_equal_times_by_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "small.xes", XES)
    table = import_log(path, tmp_path / "log.parquet", tie_break="activity")
    rows = [r for r in table.to_pylist() if r["case_id"] == "B"]
    assert [r["activity"] for r in rows] == ["Antibiotics", "Triage & registration"]
    csv = _write(tmp_path, "ties.csv", "case,act,t\nC,b,2024-01-01 10:00\nC,a,2024-01-01 10:00\n")
    by_source = import_log(csv, tmp_path / "s.parquet", case="case", activity="act", time="t")
    by_name = import_log(
        csv, tmp_path / "n.parquet", case="case", activity="act", time="t", tie_break="activity"
    )
    assert by_source.column("activity").to_pylist() == ["b", "a"]
    assert by_name.column("activity").to_pylist() == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("2024-01-31 08:05:09", None, "2024-01-31T08:05:09"),
        ("31/01/2024 08:05", None, "2024-01-31T08:05:00"),
        ("2014/10/22 11:15:41.000", None, "2014-10-22T11:15:41"),
        ("2024-01-31T08:05:09Z", None, "2024-01-31T08:05:09"),
        ("01-31-2024 8h05", "%m-%d-%Y %Hh%M", "2024-01-31T08:05:00"),
    ],
)
def test_time_formats(tmp_path: Path, text: str, fmt: str | None, expected: str) -> None:
    path = _write(tmp_path, "t.csv", f"case;act;t\nA;x;{text}\n")
    table = read_event_file(path, case="case", activity="act", time="t", sep=";", time_format=fmt)
    assert table.column("time")[0].as_py().isoformat() == expected


def test_errors_name_the_line_and_field(tmp_path: Path) -> None:
    bad_time = _write(tmp_path, "bad.csv", "case,act,t\nA,x,2024-01-01 10:00:00\nA,y,yesterday\n")
    with pytest.raises(InputError) as error:
        read_event_file(bad_time, case="case", activity="act", time="t")
    assert error.value.line == 3 and error.value.field == "t"
    assert "yesterday" in str(error.value)
    empty_case = _write(
        tmp_path, "empty.csv", "case,act,t\nA,x,2024-01-01 10:00:00\n,y,2024-01-01 11:00:00\n"
    )
    with pytest.raises(InputError) as error:
        read_event_file(empty_case, case="case", activity="act", time="t")
    assert error.value.line == 3 and error.value.field == "case"
    with pytest.raises(InputError, match="no activity column 'Activity'"):
        read_event_file(empty_case, case="case", activity="Activity", time="t")
    with pytest.raises(InputError, match="needs --case"):
        read_event_file(empty_case)
    with pytest.raises(InputError, match="no <log>"):
        read_event_file(_write(tmp_path, "x.xes", "<root/>"))
    with pytest.raises(InputError, match="not well-formed"):
        read_event_file(_write(tmp_path, "y.xes", "<log><trace>"))
    with pytest.raises(InputError, match="not an event log"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"x": [1]}), tmp_path / "other.parquet")
        read_log(tmp_path / "other.parquet")


def test_failed_import_leaves_no_file(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.csv", "case,act,t\nA,x,never\n")
    out = tmp_path / "log.parquet"
    with pytest.raises(InputError):
        import_log(bad, out, case="case", activity="act", time="t")
    assert list(tmp_path.iterdir()) == [bad]


def test_csv_round_trip_of_a_log_keeps_the_map(sepsis_log_path: Path, tmp_path: Path) -> None:
    from hopia.pathways import export_csv

    log = read_log(sepsis_log_path)
    assert export_csv(log, tmp_path / "pm4py.csv") == 15214
    header = (tmp_path / "pm4py.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith('"case:concept:name","concept:name","time:timestamp"')
    again = import_log(
        tmp_path / "pm4py.csv", tmp_path / "again.parquet",
        case="case:concept:name", activity="concept:name", time="time:timestamp",
    )  # fmt: skip
    assert again.num_rows == 15214
    left = directly_follows(log).to_pandas()
    right = directly_follows(read_log(tmp_path / "again.parquet")).to_pandas()
    assert left.equals(right)
