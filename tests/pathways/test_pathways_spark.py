"""The same pathway expressions on DuckDB and on local Spark give the same results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hopia.pathways import (
    check_conformance,
    directly_follows,
    filter_activity,
    load_pathway,
    read_log,
    variants,
)

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark_con():
    from hopia.warehouse import open_warehouse

    return open_warehouse("spark-local").con


def _same(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> None:
    def normal(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = frame[column].astype("datetime64[us]")
        return frame

    pd.testing.assert_frame_equal(normal(left), normal(right), check_dtype=False, check_exact=True)


def test_sepsis_analyses_identical_on_spark(sepsis_log_path: Path, spark_con) -> None:
    duck = read_log(sepsis_log_path)
    spark = read_log(sepsis_log_path, con=spark_con)
    _same(
        directly_follows(duck).to_pandas(),
        directly_follows(spark).to_pandas(),
        ["source", "target"],
    )
    _same(variants(duck).to_pandas(), variants(spark).to_pandas(), ["variant"])
    # positions renumbered by the engine (Spark's row_number is a 32-bit INT)
    dropped = ["Leucocytes", "CRP"]
    _same(
        variants(filter_activity(duck, dropped, mode="event", keep=False)).to_pandas(),
        variants(filter_activity(spark, dropped, mode="event", keep=False)).to_pandas(),
        ["variant"],
    )
    pathway = load_pathway("sepsis-cases")
    _same(
        check_conformance(duck, pathway).to_pandas(),
        check_conformance(spark, pathway).to_pandas(),
        ["case_id", "step_index"],
    )
