"""One engine suite: the same warehouse queries on DuckDB and on local Spark give the same results."""

from __future__ import annotations

import pytest

from hopia.warehouse._quality import run_quality_checks

pytestmark = pytest.mark.spark


def test_events_identical_on_duckdb_and_spark(mimic_warehouse, mimic_spark, frames_equal) -> None:
    keys = [
        "person_id",
        "time",
        "code",
        "domain",
        "end_time",
        "value",
        "text_value",
        "visit_occurrence_id",
    ]
    left = mimic_warehouse.events().execute()
    right = mimic_spark.events().execute()
    assert len(left) == len(right) == 68463
    frames_equal(left, right, keys)


def test_summary_identical(mimic_warehouse, mimic_spark) -> None:
    left, right = mimic_warehouse.summary(), mimic_spark.summary()
    assert left["tables"] == right["tables"]
    assert left["span"] == right["span"]
    assert left["snapshot_id"] == right["snapshot_id"]


def test_quality_checks_identical(mimic_warehouse, mimic_spark) -> None:
    left = [r.as_dict() for r in run_quality_checks(mimic_warehouse)]
    right = [r.as_dict() for r in run_quality_checks(mimic_spark)]
    assert left == right


def test_grouped_aggregate_identical(mimic_warehouse, mimic_spark, frames_equal) -> None:
    def per_code(wh):
        events = wh.events()
        return (
            events.group_by(["domain", "code"])
            .aggregate(
                n=events.count(), persons=events.person_id.nunique(), first=events.time.min()
            )
            .execute()
        )

    frames_equal(per_code(mimic_warehouse), per_code(mimic_spark), ["domain", "code"])
