"""Task attrition for publication: small counts masked so that none can be recomputed.

Each step publishes the rows it kept; the rows it removed are the difference between two
consecutive kept counts, so a small difference is protected by masking the later kept count
(and a removed count is shown only when both kept counts around it are).

Examples
--------
>>> steps = [("adults", 1000, 997), ("with labs", 997, 990), ("not dead", 990, 5)]
>>> start, rows = mask_attrition(steps, min_cell=10)
>>> start, [(s.step, s.kept, s.removed) for s in rows]
(1000, [('adults', None, None), ('with labs', 990, None), ('not dead', None, None)])
"""

from __future__ import annotations

from collections.abc import Sequence

from hopia.serve.schemas import AttritionStep


def _small(count: int, min_cell: int) -> bool:
    return 0 < abs(count) < min_cell


def mask_attrition(
    steps: Sequence[tuple[str, int, int]], min_cell: int
) -> tuple[int | None, list[AttritionStep]]:
    """Mask an attrition table.

    Parameters
    ----------
    steps
        ``(step, rows_before, rows_after)`` in order (``rows_before`` of a step is the
        ``rows_after`` of the one before).
    min_cell
        Counts (kept or removed) below this are not published.

    Returns
    -------
    start, steps
        The starting row count (``None`` if masked) and each step's kept and removed counts
        (``None`` where masked).
    """
    if not steps:
        return None, []
    kept: list[int | None] = [steps[0][1], *(after for _, _, after in steps)]
    published = [not _small(k, min_cell) for k in kept if k is not None]
    changed = True
    while changed:
        changed = False
        for i in range(1, len(kept)):
            before, after = kept[i - 1], kept[i]
            assert before is not None and after is not None
            if published[i - 1] and published[i] and _small(before - after, min_cell):
                published[i] = False
                changed = True
    rows = []
    for i, (name, _, _) in enumerate(steps, start=1):
        before, after = kept[i - 1], kept[i]
        assert before is not None and after is not None
        removed = before - after if published[i - 1] and published[i] else None
        rows.append(AttritionStep(step=name, kept=after if published[i] else None, removed=removed))
    return (kept[0] if published[0] else None), rows
