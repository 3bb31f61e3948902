"""Label rows computed in blocks of persons give the matrix of all rows at once."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from hopia.errors import InputError
from hopia.features import FeatureSpec, tabularize
from hopia.features._tabularize import person_blocks
from hopia.tasks import build_labels, load_task


def assert_same(blocked, whole) -> None:  # type: ignore[no-untyped-def]
    assert blocked.feature_names == whole.feature_names
    pd.testing.assert_frame_equal(blocked.keys, whole.keys)
    assert blocked.X.shape == whole.X.shape and blocked.X.dtype == whole.X.dtype
    assert np.array_equal(blocked.X.indptr, whole.X.indptr)
    assert np.array_equal(blocked.X.indices, whole.X.indices)
    # means and slopes: the engine adds values in no fixed order
    np.testing.assert_allclose(blocked.X.data, whole.X.data, rtol=1e-10, atol=1e-12)
    names = blocked.feature_names
    exact = [j for j, name in enumerate(names) if "|mean|" not in name and "|slope|" not in name]
    assert (blocked.X[:, exact] != whole.X[:, exact]).nnz == 0


@pytest.fixture(scope="module")
def deterioration(mimic_warehouse):  # type: ignore[no-untyped-def]
    return build_labels(mimic_warehouse, load_task("deterioration_48h"))


def test_blocks_of_persons_give_the_whole_matrix_on_mimic(mimic_warehouse, deterioration) -> None:
    spec = FeatureSpec(windows=["24h", "7d", "365d", "all"], min_persons=3)
    whole = tabularize(mimic_warehouse, deterioration, spec)
    n = whole.X.shape[0]
    assert n > 100 and whole.keys.person_id.duplicated().sum() > 50  # many rows per stay
    block_rows = n // 4
    bounds = person_blocks(whole.keys.person_id.to_numpy(), block_rows)
    assert len(bounds) >= 4
    blocked = tabularize(mimic_warehouse, deterioration, spec, block_rows=block_rows)
    assert_same(blocked, whole)
    # min_persons is applied over all rows: no block alone has every code column
    codes = {name.rsplit("|", 2)[0] for name in whole.feature_names if "|" in name}
    start, stop = bounds[0]
    first = tabularize(mimic_warehouse, whole.keys.iloc[start:stop], spec)
    assert {name.rsplit("|", 2)[0] for name in first.feature_names if "|" in name} != codes


def test_blocks_with_fixed_feature_names(mimic_warehouse, deterioration) -> None:
    spec = FeatureSpec(windows=["24h", "all"], min_persons=5, dtype="float32")
    names = tabularize(mimic_warehouse, deterioration, spec).feature_names
    names = [*names[::3], "LOINC/none|count|24h"]
    whole = tabularize(mimic_warehouse, deterioration, spec, feature_names=names)
    block_rows = whole.X.shape[0] // 3
    blocked = tabularize(
        mimic_warehouse, deterioration, spec, feature_names=names, block_rows=block_rows
    )
    assert blocked.feature_names == names
    assert_same(blocked, whole)


def test_person_blocks_never_split_a_person() -> None:
    rng = np.random.default_rng(3)
    person = np.sort(rng.integers(0, 40, size=300))
    for block_rows in (1, 2, 7, 50, 299, 300):
        bounds = person_blocks(person, block_rows)
        assert bounds[0][0] == 0 and bounds[-1][1] == len(person)
        assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
        for start, stop in bounds:
            assert stop > start
            assert stop - start <= block_rows or len(set(person[start:stop])) == 1
            assert start == 0 or person[start] != person[start - 1]
    assert person_blocks(np.array([], dtype=np.int64), 5) == [(0, 0)]


def test_block_rows_must_be_positive(mimic_warehouse, deterioration) -> None:
    with pytest.raises(InputError, match="block_rows"):
        tabularize(mimic_warehouse, deterioration, block_rows=0)
