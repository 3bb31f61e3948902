"""Small-count suppression: nothing small is published, nothing masked can be recomputed."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hopia.errors import InputError
from hopia.privacy import suppress_small_counts

THRESHOLD = 10
counts = st.integers(min_value=0, max_value=40)


def _rank(rows: list[list[Fraction]]) -> int:
    """Exact rank by Gaussian elimination over the rationals (independent of the SVD)."""
    rows = [r[:] for r in rows]
    rank, col, width = 0, 0, len(rows[0]) if rows else 0
    while rank < len(rows) and col < width:
        pivot = next((r for r in range(rank, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            col += 1
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][col] != 0:
                factor = rows[r][col] / rows[rank][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
        col += 1
    return rank


def recoverable_cells(masked: list[tuple[int, int]], equations) -> list[tuple[int, int]]:
    """Masked cells fixed by the published equations: e_k in the row space of the system."""
    where = {cell: k for k, cell in enumerate(masked)}
    system = []
    for members, total in equations:
        row = [Fraction(0)] * len(masked)
        for cell in members:
            if cell in where:
                row[where[cell]] += 1
        if total is not None and total in where:
            row[where[total]] -= 1
        if any(row):
            system.append(row)
    if not system:
        return []
    base = _rank(system)
    fixed = []
    for cell, k in where.items():
        unit = [Fraction(int(i == k)) for i in range(len(masked))]
        if _rank([*system, unit]) == base:
            fixed.append(cell)
    return fixed


def check_published(original: pd.DataFrame, out: pd.DataFrame, columns: list[str]) -> None:
    for name in columns:
        for before, after in zip(original[name], out[name], strict=True):
            if pd.isna(after):
                continue
            assert after == before, "a published count was altered"
            assert after == 0 or after >= THRESHOLD, f"published small count {after}"
        for before, after in zip(original[name], out[name], strict=True):
            if 0 < before < THRESHOLD:
                assert pd.isna(after)


@settings(max_examples=150, deadline=None)
@given(st.lists(counts, min_size=1, max_size=12))
def test_1d_list_with_known_total(values: list[int]) -> None:
    table = pd.DataFrame({"unit": [f"u{i}" for i in range(len(values))], "n": values})
    out = suppress_small_counts(table, ["n"], threshold=THRESHOLD)
    check_published(table, out, ["n"])
    masked = [(i, 0) for i, v in enumerate(out["n"]) if pd.isna(v)]
    equations = [([(i, 0) for i in range(len(values))], None)]
    exposed = set(recoverable_cells(masked, equations))
    # Only a lone non-empty line whose every cell is masked can stay exposed, and it is reported.
    reported = {(table.index.get_loc(r), 0) for r, _ in out.attrs["suppression"]["unprotected"]}
    assert exposed == reported
    if exposed:
        assert all(pd.isna(v) or v == 0 for v in out["n"])


@settings(max_examples=120, deadline=None)
@given(
    st.integers(min_value=2, max_value=5).flatmap(
        lambda n_cols: st.lists(
            st.lists(counts, min_size=n_cols, max_size=n_cols), min_size=2, max_size=6
        )
    )
)
def test_2d_contingency_table_with_margins(body: list[list[int]]) -> None:
    n_rows, n_cols = len(body), len(body[0])
    columns = [f"c{j}" for j in range(n_cols)]
    table = pd.DataFrame(body, columns=columns, index=[f"r{i}" for i in range(n_rows)])
    table["All"] = table.sum(axis=1)
    table.loc["All"] = table.sum(axis=0)
    all_columns = [*columns, "All"]
    out = suppress_small_counts(
        table, all_columns, threshold=THRESHOLD, total_rows="All", total_column="All"
    )
    check_published(table, out, all_columns)
    grid = out[all_columns].to_numpy()
    masked = [(i, j) for i in range(n_rows + 1) for j in range(n_cols + 1) if pd.isna(grid[i, j])]
    equations = [([(i, j) for i in range(n_rows)], (n_rows, j)) for j in range(n_cols + 1)]
    equations += [([(i, j) for j in range(n_cols)], (i, n_cols)) for i in range(n_rows + 1)]
    assert recoverable_cells(masked, equations) == []
    assert out.attrs["suppression"]["unprotected"] == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(counts, min_size=3, max_size=3), min_size=2, max_size=6))
def test_rows_and_columns_known_from_outside(body: list[list[int]]) -> None:
    table = pd.DataFrame(body, columns=["a", "b", "c"])
    out = suppress_small_counts(table, ["a", "b", "c"], threshold=THRESHOLD, row_totals=True)
    check_published(table, out, ["a", "b", "c"])
    grid = out.to_numpy()
    n = len(body)
    masked = [(i, j) for i in range(n) for j in range(3) if pd.isna(grid[i, j])]
    equations = [([(i, j) for i in range(n)], None) for j in range(3)]
    equations += [([(i, j) for j in range(3)], None) for i in range(n)]
    exposed = recoverable_cells(masked, equations)
    reported = [
        (table.index.get_loc(r), ["a", "b", "c"].index(c))
        for r, c in out.attrs["suppression"]["unprotected"]
    ]
    assert sorted(exposed) == sorted(reported)


def test_zero_is_published_and_not_a_preferred_partner() -> None:
    table = pd.DataFrame({"n": [4, 0, 12, 30]})
    out = suppress_small_counts(table, ["n"], threshold=10)
    assert out["n"].tolist() == [pd.NA, 0, pd.NA, 30]


def test_other_columns_untouched_and_dtype_nullable() -> None:
    table = pd.DataFrame({"week": ["w1", "w2"], "n": [15, 22]})
    out = suppress_small_counts(table, ["n"], threshold=10)
    assert out["week"].tolist() == ["w1", "w2"]
    assert str(out["n"].dtype) == "Int64"
    assert out["n"].tolist() == [15, 22]


def test_default_threshold_comes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from hopia.settings import get_settings

    monkeypatch.setenv("HOPIA_MIN_CELL", "5")
    get_settings.cache_clear()
    try:
        out = suppress_small_counts(pd.DataFrame({"n": [6, 7, 100]}), ["n"])
        assert out["n"].tolist() == [6, 7, 100]
    finally:
        get_settings.cache_clear()


def test_lone_small_total_is_reported_unprotected() -> None:
    out = suppress_small_counts(pd.DataFrame({"n": [3]}), ["n"], threshold=10)
    assert out["n"].isna().all()
    assert out.attrs["suppression"]["unprotected"] == [(0, "n")]


@pytest.mark.parametrize("bad", [[-1, 3], [1.5, 3], ["x", 3]])
def test_bad_counts_are_refused(bad: list) -> None:
    with pytest.raises(InputError, match="non-negative integer"):
        suppress_small_counts(pd.DataFrame({"n": bad}), ["n"], threshold=10)


def test_unknown_column_is_refused() -> None:
    with pytest.raises(InputError, match="count column"):
        suppress_small_counts(pd.DataFrame({"n": [1]}), ["m"], threshold=10)
