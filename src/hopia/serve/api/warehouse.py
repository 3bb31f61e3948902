"""``GET /warehouse/summary``: rows per table and time span (aggregates, any signed-in role)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hopia.serve._state import ServeState
from hopia.serve.deps import CurrentUser, State, WarehouseDep
from hopia.serve.schemas import Problem, Span, WarehouseSummary
from hopia.warehouse import Warehouse

router = APIRouter(tags=["warehouse"])


def _mask(count: int, threshold: int) -> int | None:
    return None if 0 < count < threshold else count


def masked_summary(state: ServeState, wh: Warehouse) -> WarehouseSummary:
    """The warehouse summary with counts below ``min_cell`` masked, cached per warehouse version.

    No totals are published beside the masked counts, so nothing can be recomputed from them.
    """
    cache = state.warehouses.cache_of(wh)
    threshold = state.config.min_cell
    cached = cache.get(("summary", threshold))
    if isinstance(cached, WarehouseSummary):
        return cached
    raw: dict[str, Any] = wh.summary()
    summary = WarehouseSummary(
        engine=raw["engine"],
        snapshot_id=str(raw.get("snapshot_id", "")),
        source=str(raw.get("source", "")),
        persons=_mask(int(raw.get("persons", 0)), threshold),
        tables={name: _mask(int(n), threshold) for name, n in raw.get("tables", {}).items()},
        masked_below=threshold,
        span=Span(**raw.get("span", {})),
    )
    cache[("summary", threshold)] = summary
    return summary


@router.get(
    "/warehouse/summary",
    response_model=WarehouseSummary,
    responses={401: {"model": Problem}, 503: {"model": Problem}},
)
def warehouse_summary(user: CurrentUser, state: State, wh: WarehouseDep) -> WarehouseSummary:
    """Rows per OMOP table, persons, first and last visit dates, data snapshot id."""
    return masked_summary(state, wh)
