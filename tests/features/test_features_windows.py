"""The bucket lines combined by NumPy give the matrix of the engine-side window combination.

``window_aggregates`` returns per-(row, code, age bucket) aggregates that ``assemble`` turns
into window slots; ``by_bucket=False`` combines them in the engine instead (the plain form).
Both must give the same stored entries and values (mean and slope up to the last bits: the
engine adds values in its own order).
"""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest
from ward_patient import INDEX, ward_tables

from hopia.features import FeatureSpec
from hopia.features import _assemble as assemble_module
from hopia.features._assemble import assemble
from hopia.features._windows import common_codes, window_aggregates
from hopia.tasks import build_labels, load_task
from hopia.tasks._cohort import seen_at
from hopia.warehouse import write_warehouse

SLOT_AGGREGATES = ("last", "mean", "min", "max", "slope")


def slots_of(spec: FeatureSpec) -> list[tuple[str, str]]:
    windows = list(spec.window_seconds())
    slots = [("count", w) for w in windows]
    slots += [(a, w) for a in SLOT_AGGREGATES if a in spec.value_aggregates for w in windows]
    return [*slots, ("hours_since_last", "all")]


def both_ways(wh, keys: pd.DataFrame, spec: FeatureSpec):
    events = wh.events()
    events = events.filter(events.domain.isin([*spec.count_domains, *spec.value_domains]))
    events = events.select(
        "person_id", "time", "code", "value", "domain", "visit_occurrence_id", "date_only"
    )
    table = ibis.memtable(
        keys.assign(row=np.arange(len(keys), dtype=np.int64)),
        schema={
            "person_id": "int64",
            "visit_occurrence_id": "int64",
            "index_time": "timestamp",
            "row": "int64",
        },
    )
    slots = slots_of(spec)
    statics = pd.DataFrame({"row": np.array([], dtype=np.int64)})
    out = []
    for by_bucket in (True, False):
        lines = window_aggregates(events, table, spec, slots, by_bucket=by_bucket).to_pyarrow()
        assert ("bucket" in lines.column_names) == by_bucket
        out.append(assemble(lines, slots, statics, len(keys), None, "float64"))
    return out


def assert_same(fast, plain) -> None:
    (X, names), (Y, plain_names) = fast, plain
    assert names == plain_names
    assert np.array_equal(X.indptr, Y.indptr)
    assert np.array_equal(X.indices, Y.indices)
    # mean and slope: the engine adds values in no fixed order (nor does it between two runs)
    np.testing.assert_allclose(X.data, Y.data, rtol=1e-10, atol=1e-12)
    exact = [j for j, name in enumerate(names) if "|mean|" not in name and "|slope|" not in name]
    assert (X[:, exact] != Y[:, exact]).nnz == 0  # counts, last, min, max: bit for bit


def test_bucket_lines_equal_engine_windows_on_mimic(mimic_warehouse) -> None:
    labels = build_labels(mimic_warehouse, load_task("deterioration_48h")).to_pandas()
    keys = labels[["person_id", "visit_occurrence_id", "index_time"]]
    spec = FeatureSpec(windows=["24h", "7d", "365d", "all"])
    fast, plain = both_ways(mimic_warehouse, keys, spec)
    assert len(fast[1]) > 500 and fast[0].nnz > 10_000
    assert_same(fast, plain)


@pytest.mark.parametrize("windows", [["all"], ["6h", "all"], ["24h", "7d"]])
def test_bucket_lines_equal_engine_windows_on_ward(tmp_path, monkeypatch, windows) -> None:
    monkeypatch.setattr(assemble_module, "_CHUNK", 2)  # entries gathered over many chunks
    wh = write_warehouse(ward_tables(), f"duckdb:///{tmp_path}/w.duckdb")
    keys = pd.DataFrame(
        {
            "person_id": [1, 1, 1],
            "visit_occurrence_id": [10, 10, None],
            "index_time": [INDEX, INDEX - dt.timedelta(hours=5), INDEX + dt.timedelta(days=9)],
        }
    )
    spec = FeatureSpec(windows=windows, min_persons=1)
    fast, plain = both_ways(wh, keys, spec)
    assert fast[0].nnz > 10
    assert_same(fast, plain)


def plain_common_codes(events, keys, min_persons: int) -> set[str]:
    """The rule row by row: a (person, code) counts when one of the person's label rows sees
    one of its events (a visit event: one of another stay)."""
    k = keys.select(key_person="person_id", key_visit="visit_occurrence_id", key_time="index_time")
    j = k.inner_join(events, k.key_person == events.person_id)
    j = j.filter(
        seen_at(j.time, j.date_only, j.key_time)
        & ((j.domain != "visit") | (j.visit_occurrence_id != j.key_visit).fill_null(True))
    )
    pairs = j.select("person_id", "code").distinct()
    counts = pairs.group_by("code").aggregate(persons=pairs.count()).to_pandas()
    return set(counts.code[counts.persons >= min_persons])


@pytest.mark.parametrize("task", ["readmission_30d", "deterioration_48h"])
def test_common_codes_equal_the_row_by_row_rule_on_mimic(mimic_warehouse, task) -> None:
    labels = build_labels(mimic_warehouse, load_task(task)).to_pandas()
    keys = ibis.memtable(labels[["person_id", "visit_occurrence_id", "index_time"]])
    events = mimic_warehouse.events()
    for min_persons in (1, 5):
        got = set(common_codes(events, keys, min_persons).to_pandas().code)
        assert got == plain_common_codes(events, keys, min_persons)
        assert len(got) > 20
