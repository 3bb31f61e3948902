"""Small-count suppression for every published aggregate (reports, UI, exports).

Rules
-----
* **Primary suppression**: a count ``c`` with ``0 < c < threshold`` is masked (``pd.NA``).
* **Zeros are published.** A zero says that nobody has the attribute; it points at no one,
  and masking every zero would blank most sparse tables. (A zero *can* be disclosive when
  the reader knows someone belongs to the group and learns they lack the attribute: a
  caller who fears that masks the whole line or publishes a coarser table.) Zeros are chosen
  as complementary cells only when no non-zero cell is left in the line.
* **Secondary (complementary) suppression**: every line whose total is published — the rows
  that ``total_rows`` sums, the columns that ``total_column`` sums, and by default the sum
  of each count column, which a reader can always learn elsewhere — is a linear equation.
  A masked cell is *recoverable by subtraction* when the published cells and totals fix
  its value, i.e. when its unit vector lies in the row space of the equations restricted
  to the masked cells. While a masked cell is recoverable, the smallest published non-zero
  cell sharing a line with it is masked too (body cells before totals).

Examples
--------
>>> import pandas as pd
>>> from hopia.privacy import suppress_small_counts
>>> stays = pd.DataFrame({"unit": ["cardio", "neuro", "pneumo", "ortho"], "n": [3, 42, 17, 0]})
>>> suppress_small_counts(stays, ["n"], threshold=10)["n"].tolist()
[<NA>, 42, <NA>, 0]
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hopia.errors import InputError

_TOL = 1e-9


@dataclass
class _Lines:
    """The published linear equations of a table: each line sums ``members`` into ``total``."""

    # (members, total) where cells are (row position, column position); total is None when
    # the sum is known from outside the table.
    equations: list[tuple[list[tuple[int, int]], tuple[int, int] | None]] = field(
        default_factory=list
    )


def _positions(labels: Sequence[Hashable], index: pd.Index, what: str) -> list[int]:
    positions = []
    for label in labels:
        if label not in index:
            raise InputError("suppress_small_counts", f"{what} {label!r} not found in the table")
        positions.append(int(index.get_loc(label)))  # type: ignore[arg-type]
    return positions


def _groups(
    spec: Hashable | Mapping[Hashable, Sequence[Hashable]] | None,
    all_labels: Sequence[Hashable],
) -> dict[Hashable, list[Hashable]]:
    """Normalise ``total_rows`` / ``total_column``: total label -> the labels it sums."""
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        return {total: list(members) for total, members in spec.items()}
    return {spec: [label for label in all_labels if label != spec]}


def _build_lines(
    table: pd.DataFrame,
    columns: list[str],
    total_rows: dict[Hashable, list[Hashable]],
    total_columns: dict[Hashable, list[Hashable]],
    column_totals: bool,
    row_totals: bool,
) -> _Lines:
    lines = _Lines()
    col_pos: dict[Hashable, int] = {name: j for j, name in enumerate(columns)}
    n_rows = len(table)
    total_row_pos = set(_positions(list(total_rows), table.index, "total row"))
    for name in list(total_columns) + [m for ms in total_columns.values() for m in ms]:
        if name not in col_pos:
            raise InputError(
                "suppress_small_counts", f"total column {name!r} is not one of the count columns"
            )
    total_col_pos = {col_pos[name] for name in total_columns}
    body_rows = [i for i in range(n_rows) if i not in total_row_pos]
    body_cols = [j for j in range(len(columns)) if j not in total_col_pos]

    # Columns summed down the rows (into a total row, or known from outside).
    for j in range(len(columns)):
        if total_rows:
            for total, members in total_rows.items():
                t = int(table.index.get_loc(total))  # type: ignore[arg-type]
                rows = _positions(members, table.index, "row")
                lines.equations.append(([(i, j) for i in rows], (t, j)))
        elif column_totals:
            lines.equations.append(([(i, j) for i in body_rows], None))
    # Rows summed across the count columns (into a total column, or known from outside).
    for i in range(n_rows):
        if total_columns:
            for total, members in total_columns.items():
                lines.equations.append(
                    ([(i, col_pos[str(m)]) for m in members], (i, col_pos[str(total)]))
                )
        elif row_totals:
            lines.equations.append(([(i, j) for j in body_cols], None))
    return lines


def _recoverable(masked: set[tuple[int, int]], lines: _Lines) -> list[tuple[int, int]]:
    """Masked cells whose value the published cells and totals fix exactly."""
    unknowns = sorted(masked)
    if not unknowns:
        return []
    where = {cell: k for k, cell in enumerate(unknowns)}
    rows = []
    for members, total in lines.equations:
        coefficients = np.zeros(len(unknowns))
        for cell in members:
            if cell in where:
                coefficients[where[cell]] += 1.0
        if total is not None and total in where:
            coefficients[where[total]] -= 1.0
        if coefficients.any():
            rows.append(coefficients)
    if not rows:
        return []
    matrix = np.vstack(rows)
    # A cell is fixed iff every solution of the homogeneous system leaves it unchanged,
    # i.e. its coordinate is zero in every null-space vector.
    _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
    rank = int((singular > _TOL * max(matrix.shape)).sum())
    null = vt[rank:].T
    freedom = np.linalg.norm(null, axis=1) if null.size else np.zeros(len(unknowns))
    return [cell for cell, f in zip(unknowns, freedom, strict=True) if f < 1e-7]


def _complement(
    cell: tuple[int, int],
    masked: set[tuple[int, int]],
    lines: _Lines,
    values: np.ndarray,
    totals: set[tuple[int, int]],
) -> list[tuple[int, int]]:
    """Published cells sharing a line with ``cell``, best complementary candidates first."""
    candidates: set[tuple[int, int]] = set()
    for members, total in lines.equations:
        line = members + ([total] if total is not None else [])
        if cell in line:
            candidates.update(c for c in line if c not in masked)
    return sorted(
        candidates,
        key=lambda c: (values[c] == 0, c in totals, values[c], c),
    )


def suppress_small_counts(
    table: pd.DataFrame,
    count_columns: Sequence[str],
    *,
    threshold: int | None = None,
    total_rows: Hashable | Mapping[Hashable, Sequence[Hashable]] | None = None,
    total_column: str | Mapping[str, Sequence[str]] | None = None,
    column_totals: bool = True,
    row_totals: bool = False,
) -> pd.DataFrame:
    """Mask counts below ``threshold`` so that no masked count can be recomputed.

    Parameters
    ----------
    table : pandas.DataFrame
        The aggregate to publish. Only ``count_columns`` are touched; other columns (labels)
        are returned unchanged. Missing counts in the input are treated as already masked.
    count_columns : sequence of str
        The columns holding non-negative integer counts.
    threshold : int, optional
        Counts ``0 < c < threshold`` are masked; default ``get_settings().min_cell``
        (``HOPIA_MIN_CELL``, 10).
    total_rows : index label or mapping, optional
        A row of the table holding, for every count column, the sum of all other rows
        (e.g. pandas' ``crosstab(..., margins=True)`` ``"All"`` row); or a mapping
        ``{total_label: [labels it sums]}`` for sub-totals. Totals are counts too: a small
        total is masked and can serve as a complementary cell.
    total_column : str or mapping, optional
        A count column holding, for every row, the sum of the other count columns (the
        ``"All"`` column of a crosstab); or ``{total_column: [columns it sums]}``.
    column_totals : bool, default True
        Without ``total_rows``: assume the sum of each count column is published elsewhere
        (the safe assumption for a list of categories). Set False only when it is not.
    row_totals : bool, default False
        Without ``total_column``: assume each row's sum across ``count_columns`` is published
        (the count columns are categories of one variable, as in a contingency table).

    Returns
    -------
    pandas.DataFrame
        A copy with ``count_columns`` as nullable ``Int64``, masked cells ``pd.NA``.
        ``result.attrs["suppression"]`` records the threshold, the number of primary and
        secondary cells, and ``unprotected``: masked cells that remain recoverable because
        every cell of their line is already masked (a published total below the threshold;
        publish that total through this function instead, as a total row).

    Examples
    --------
    A 1-D list of categories whose total is known: the lone small cell takes a partner.

    >>> import pandas as pd
    >>> stays = pd.DataFrame({"unit": ["A", "B", "C"], "n": [4, 30, 25]})
    >>> suppress_small_counts(stays, ["n"], threshold=10)["n"].tolist()
    [<NA>, 30, <NA>]

    A contingency table with margins:

    >>> t = pd.crosstab(pd.Series(list("aab" * 20 + "c"), name="x"),
    ...                 pd.Series(list("uv" * 30 + "u"), name="y"), margins=True)
    >>> out = suppress_small_counts(t, ["u", "v", "All"], threshold=10,
    ...                             total_rows="All", total_column="All")
    >>> int(out.isna().sum().sum()) >= 2
    True
    """
    if threshold is None:
        from hopia.settings import get_settings

        threshold = get_settings().min_cell
    if threshold < 1:
        raise InputError("suppress_small_counts", f"threshold must be >= 1, got {threshold}")
    columns = list(count_columns)
    for name in columns:
        if name not in table.columns:
            raise InputError("suppress_small_counts", f"count column {name!r} not in the table")
    if not table.index.is_unique:
        raise InputError("suppress_small_counts", "the table index must be unique")
    result = table.copy()
    raw = result[columns].apply(pd.to_numeric, errors="coerce") if columns else result[columns]
    for name in columns:
        bad = result[name].notna() & raw[name].isna()
        values = raw[name].dropna()
        if bad.any() or (values < 0).any() or (values != np.floor(values)).any():
            raise InputError(
                "suppress_small_counts", "expected non-negative integer counts", field=name
            )
    missing = raw.isna().to_numpy()
    values = raw.fillna(0).to_numpy(dtype=float)

    row_groups = _groups(total_rows, list(table.index))
    col_groups = _groups(total_column, columns)
    lines = _build_lines(
        table, columns, row_groups, col_groups, column_totals, row_totals or bool(col_groups)
    )
    totals: set[tuple[int, int]] = set()
    for total in row_groups:
        t = int(table.index.get_loc(total))  # type: ignore[arg-type]
        totals.update((t, j) for j in range(len(columns)))
    col_pos = {name: j for j, name in enumerate(columns)}
    for total in col_groups:
        totals.update((i, col_pos[str(total)]) for i in range(len(table)))

    small = (values > 0) & (values < threshold)
    masked = {(int(i), int(j)) for i, j in zip(*np.nonzero(small | missing), strict=True)}
    primary = int(small.sum())
    unprotected: set[tuple[int, int]] = set()
    while True:
        exposed = [c for c in _recoverable(masked, lines) if c not in unprotected]
        if not exposed:
            break
        cell = exposed[0]
        candidates = _complement(cell, masked, lines, values, totals)
        if not candidates:
            unprotected.add(cell)
            continue
        # Prefer the smallest partner that hides the cell on its own; else take the smallest
        # and let the next round add more.
        chosen = candidates[0]
        for candidate in candidates[:12]:
            if cell not in _recoverable(masked | {candidate}, lines):
                chosen = candidate
                break
        masked.add(chosen)
    # A cell given up on earlier may have been covered by a later partner.
    unprotected = set(_recoverable(masked, lines))

    for j, name in enumerate(columns):
        column = pd.array(values[:, j].round().astype("int64"), dtype="Int64")
        rows = [i for i, jj in masked if jj == j]
        if rows:
            column[np.array(rows)] = pd.NA
        result[name] = column
    result.attrs["suppression"] = {
        "threshold": threshold,
        "primary": primary,
        "secondary": len(masked) - primary - int(missing.sum()),
        "unprotected": [(table.index[i], columns[j]) for i, j in sorted(unprotected)],
    }
    return result
