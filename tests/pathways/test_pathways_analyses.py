"""Durations, rework, filters and exact quantiles, checked against plain Python/numpy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest

from hopia.errors import InputError
from hopia.pathways import (
    directly_follows,
    duration_summary,
    exact_quantiles,
    filter_activity,
    filter_attribute,
    filter_period,
    filter_top_variants,
    filter_unit,
    filter_variants,
    order_events,
    read_log,
    rework,
    sojourn_times,
    start_activities,
    throughput_times,
    variants,
)

T0 = dt.datetime(2024, 1, 1, 8)


def _log(rows: list[tuple[str, str, int, str | None]]) -> ibis.Table:
    """(case, activity, minutes after T0, unit) → a log."""
    frame = pd.DataFrame(rows, columns=["case_id", "activity", "minutes", "unit"])
    frame["time"] = T0 + pd.to_timedelta(frame.pop("minutes"), unit="min")
    frame["source_row"] = range(len(frame))
    return order_events(ibis.memtable(frame))


@pytest.fixture
def small_log() -> ibis.Table:
    return _log(
        [
            ("A", "ED", 0, "URG"), ("A", "Ward", 60, "MED"), ("A", "ICU", 120, "REA"), ("A", "Ward", 300, "MED"),
            ("B", "ED", 0, "URG"), ("B", "Ward", 30, "MED"),
            ("C", "ED", 1440, "URG"), ("C", "Ward", 1500, "MED"),
            ("D", "ED", 2880, "URG"), ("D", "ICU", 2890, "REA"), ("D", "ICU", 2900, "REA"),
        ]
    )  # fmt: skip


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 10, 101])
def test_exact_quantiles_equal_numpy(size: int) -> None:
    rng = np.random.default_rng(size)
    values = rng.integers(0, 10_000, size=size).astype(float)
    table = ibis.memtable({"g": ["x"] * size, "v": values})
    qs = {"q0": 0.0, "q10": 0.1, "q25": 0.25, "median": 0.5, "q90": 0.9, "q99": 0.99, "q100": 1.0}
    row = exact_quantiles(table, ["g"], "v", qs).to_pyarrow().to_pylist()[0]
    for name, q in qs.items():
        assert row[name] == np.quantile(values, q), name  # bit for bit


def test_exact_quantiles_ignore_nulls_and_work_without_groups() -> None:
    table = ibis.memtable({"v": [4.0, None, 1.0, 3.0, 2.0]})
    row = exact_quantiles(table, [], "v", {"median": 0.5}).to_pyarrow().to_pylist()[0]
    assert row["median"] == 2.5


def test_dfg_counts_and_waits(small_log: ibis.Table) -> None:
    dfg = directly_follows(small_log).to_pandas().set_index(["source", "target"])
    assert dfg.loc[("ED", "Ward"), "count"] == 3
    assert dfg.loc[("ED", "Ward"), "median_seconds"] == 3600.0
    assert dfg.loc[("ED", "Ward"), "mean_seconds"] == pytest.approx((3600 + 1800 + 3600) / 3)
    assert dfg.loc[("ICU", "ICU"), "count"] == 1
    assert dfg["count"].sum() == 11 - 4  # events minus cases


def test_throughput_sojourn_and_rework(small_log: ibis.Table) -> None:
    cases = throughput_times(small_log).to_pandas().set_index("case_id")
    assert cases.loc["A", "seconds"] == 300 * 60
    assert cases.loc["D", "events"] == 3
    summary = duration_summary(throughput_times(small_log), []).to_pandas().iloc[0]
    assert summary["count"] == 4
    assert summary["median_seconds"] == np.median([18000, 1800, 3600, 1200])
    # single-timestamp log: the sojourn is the wait before the case's next event
    sojourn = sojourn_times(small_log, by="unit").to_pandas()
    assert sojourn.groupby("unit")["seconds"].sum().to_dict() == {
        "MED": 3600.0,
        "REA": 11400.0,
        "URG": 9600.0,
    }
    repeated = rework(small_log).to_pandas().set_index("activity")
    assert repeated.loc["Ward", "rework_cases"] == 1 and repeated.loc["Ward", "repeats"] == 1
    assert repeated.loc["ICU", "rework_cases"] == 1
    assert repeated.loc["ED", "rework_cases"] == 0
    assert repeated.loc["ICU", "rework_rate"] == 0.5


def test_sojourn_until_end_uses_end_times() -> None:
    log = order_events(
        ibis.memtable(
            {
                "case_id": ["A", "A"],
                "activity": ["URG", "REA"],
                "time": [T0, T0 + dt.timedelta(hours=2)],
                "end_time": [T0 + dt.timedelta(hours=2), T0 + dt.timedelta(hours=50)],
                "source_row": [0, 1],
            }
        )
    )
    sojourn = sojourn_times(log).to_pandas().set_index("activity")["seconds"].to_dict()
    assert sojourn == {"URG": 7200.0, "REA": 172800.0}
    with pytest.raises(InputError):
        sojourn_times(log, by="nothing")


def test_filters(small_log: ibis.Table) -> None:
    def cases(log: ibis.Table) -> list[str]:
        return sorted(set(log.case_id.to_list()))

    assert cases(filter_activity(small_log, ["ICU"])) == ["A", "D"]
    assert cases(filter_activity(small_log, ["ICU"], keep=False)) == ["B", "C"]
    assert cases(filter_unit(small_log, ["REA"])) == ["A", "D"]
    assert cases(filter_variants(small_log, ["ED,Ward"])) == ["B", "C"]
    assert cases(filter_top_variants(small_log, 1)) == ["B", "C"]
    assert cases(
        filter_period(small_log, T0 + dt.timedelta(days=1), T0 + dt.timedelta(days=2))
    ) == ["C"]
    assert cases(filter_period(small_log, None, T0 + dt.timedelta(hours=3), mode="contained")) == [
        "B"
    ]
    assert cases(
        filter_period(small_log, T0 + dt.timedelta(hours=4), None, mode="intersecting")
    ) == ["A", "C", "D"]
    only_icu = filter_unit(small_log, ["REA"], mode="event")
    # event filters renumber positions: ICU starts each remaining case
    assert start_activities(only_icu).to_pandas().set_index("activity")["cases"].to_dict() == {
        "ICU": 2
    }
    with_attribute = small_log.mutate(
        age_band=ibis.ifelse(small_log.case_id == "A", "80+", "18-44")
    )
    assert cases(filter_attribute(with_attribute, "age_band", ["80+"])) == ["A"]
    with pytest.raises(InputError):
        filter_attribute(small_log, "diagnosis", ["I63"])


def test_variants_coverage(small_log: ibis.Table) -> None:
    frame = variants(small_log).to_pandas()
    assert frame["variant"].tolist() == ["ED,Ward", "ED,ICU,ICU", "ED,Ward,ICU,Ward"]
    assert frame["coverage"].tolist() == [0.5, 0.75, 1.0]


@pytest.mark.parametrize(("activities", "longest"), [(6, 8), (45, 40)])
def test_variants_equal_python_on_random_logs(activities: int, longest: int) -> None:
    """The packed variants equal a plain-Python grouping, whatever the activity names, an
    attribute named like an internal column, and gaps in ``position``; with 45 activities
    and cases of up to 40 steps, many steps do not fit the packed key (a rarer activity
    than the 31 most frequent, a position past the 12th) and take the sorted-list path."""
    rng = np.random.default_rng(activities)
    names = ["ED", "Ward", "ICU", "A", "é unit", "Z", *[f"act {i}" for i in range(activities - 6)]]
    weights = 1.0 / np.arange(1, len(names) + 1)  # some activities far rarer than others
    rows = []
    for case in range(300):
        for step in range(int(rng.integers(1, longest + 1))):
            name = str(rng.choice(names, p=weights / weights.sum()))
            rows.append((f"c{case}", name, int(step * 10), None))
    log = _log(rows).mutate(code=ibis.literal("attribute"), _packed=ibis.literal(0))
    gapped = log.mutate(position=log.position * 3)  # filtered without renumber
    expected: dict[str, int] = {}
    per_case: dict[str, list[str]] = {}
    for case, activity, _, _ in rows:
        per_case.setdefault(case, []).append(activity)
    for steps in per_case.values():
        expected[",".join(steps)] = expected.get(",".join(steps), 0) + 1
    for table in (log, gapped):
        frame = variants(table).to_pandas()
        assert dict(zip(frame["variant"], frame["cases"], strict=True)) == expected
        assert frame["events"].tolist() == [v.count(",") + 1 for v in frame["variant"]]
        assert frame["cases"].is_monotonic_decreasing


def test_cli_durations_and_filters(sepsis_log_path: Path, tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from hopia.pathways._cli import register

    app = typer.Typer()
    register(app)
    runner = CliRunner()
    out = tmp_path / "cases.csv"
    result = runner.invoke(app, ["pathways", "durations", str(sepsis_log_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, keep_default_na=False)
    assert len(frame) == 1050 and "NA" in set(frame["case_id"])
    log = read_log(sepsis_log_path)
    expected = log.group_by("case_id").aggregate(a=log.time.min(), b=log.time.max()).to_pandas()
    expected = (expected["b"] - expected["a"]).dt.total_seconds().sort_values().to_numpy()
    assert np.array_equal(np.sort(frame["seconds"].to_numpy()), expected)
    result = runner.invoke(
        app,
        [
            "pathways",
            "variants",
            str(sepsis_log_path),
            "--activity",
            "Release E",
            "--since",
            "2014-01-01",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "variants" in result.output
    result = runner.invoke(app, ["pathways", "map", str(sepsis_log_path), "--where", "Diagnose"])
    assert result.exit_code != 0
    result = runner.invoke(app, ["pathways", "durations", str(sepsis_log_path), "--by", "activity"])
    assert result.exit_code == 0 and "Release A" in result.output


def test_public_names_resolve() -> None:
    import hopia.pathways as pathways

    assert sorted(pathways.__all__) == sorted(set(pathways.__all__))
    for name in pathways.__all__:
        assert getattr(pathways, name) is not None, name
    assert sorted(dir(pathways)) == sorted(pathways.__all__)
