"""One code path, two engines: labels and features are identical on DuckDB and on local Spark.

Compared row for row and value for value on the MIMIC-IV demo (OMOP) and on a small synthetic
hospital (feature values up to floating-point summation order: relative 1e-9). Spark is slow to start on two cores, so everything shares the session's Spark
(``mimic_spark``), the feature spec is kept small, and the synthetic hospital gets its own
view prefix so the MIMIC views of the other engine tests stay in place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hopia.features import FeatureSpec, tabularize
from hopia.tasks import build_labels, list_tasks, load_task

pytestmark = pytest.mark.spark

SMALL_SPEC = FeatureSpec(windows=["24h", "all"], min_persons=2)


def assert_same_labels(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert list(left.columns) == list(right.columns)
    for frame in (left, right):
        frame["index_time"] = frame["index_time"].astype("datetime64[us]")
    pd.testing.assert_frame_equal(
        left.reset_index(drop=True), right.reset_index(drop=True), check_exact=True
    )


def assert_same_features(duck, spark, labels) -> None:
    left = tabularize(duck, build_labels(duck, labels), SMALL_SPEC)
    right = tabularize(spark, build_labels(spark, labels), SMALL_SPEC)
    assert left.feature_names == right.feature_names
    assert len(left.feature_names) > 50
    pd.testing.assert_frame_equal(left.keys, right.keys, check_dtype=False, check_exact=True)
    # the same stored entries; values equal up to floating-point summation order (engines add
    # a measurement's values in different orders for mean and slope)
    assert np.array_equal(left.X.indptr, right.X.indptr)
    assert np.array_equal(left.X.indices, right.X.indices)
    np.testing.assert_allclose(left.X.data, right.X.data, rtol=1e-9, atol=1e-12)
    counts = [j for j, name in enumerate(left.feature_names) if "|count|" in name]
    assert (left.X[:, counts] != right.X[:, counts]).nnz == 0


def compare_engines(duck, spark, feature_tasks: list[str]) -> None:
    for name in list_tasks():
        task = load_task(name)
        on_duck, on_spark = build_labels(duck, task), build_labels(spark, task)
        pd.testing.assert_frame_equal(on_duck.attrition, on_spark.attrition)
        left, right = on_duck.to_pandas(), on_spark.to_pandas()
        assert len(left) > 0, name
        assert_same_labels(left, right)
    for name in feature_tasks:
        assert_same_features(duck, spark, load_task(name))


def test_mimic_labels_and_features_identical(mimic_warehouse, mimic_spark) -> None:
    compare_engines(mimic_warehouse, mimic_spark, ["inhospital_mortality"])


def test_synthetic_hospital_labels_and_features_identical(mimic_spark, tmp_path) -> None:
    from hopia.synth import synthesize
    from hopia.warehouse._spark import copy_to_spark

    duck = synthesize(patients=150, years=1, seed=11, url=f"duckdb:///{tmp_path}/synth.duckdb")
    spark = copy_to_spark(duck)
    compare_engines(duck, spark, ["deterioration_48h"])
